//! Components the pages share: the case summary, notes and their history, conflicts, refused
//! changes, the directory listings suggested to a case team, and the note form whose draft the notes and refused changes read; here, the error
//! note and the focus helper.

mod case_summary;
mod conflicts;
mod field_problems;
mod note_form;
mod notes;
mod refused;
mod suggestions;

pub(super) use case_summary::{CaseSummaryView, TeamMember};
pub(super) use conflicts::{ConflictCard, ConflictsView};
pub(super) use field_problems::FieldProblems;
pub(super) use note_form::{Amending, Draft, NoteForm};
pub(super) use notes::{NoteHistory, NotesView};
pub(super) use refused::RefusedView;
pub(super) use suggestions::SuggestionsView;

use crate::api::AppError;
use crate::ui::i18n::{error_text, use_lang};
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// An error as a sentence; an ended session goes back to the login page.
#[component]
pub(super) fn ErrorNote(error: AppError) -> impl IntoView {
    let lang = use_lang();
    if error == AppError::Unauthenticated {
        return view! { <Redirect path="/login"/> }.into_any();
    }
    view! {
        <p class="form-error" role="alert" data-testid="page-error">
            {move || error_text(lang.get(), &error)}
        </p>
    }
    .into_any()
}

/// A button that shows or hides the element `controls` names, saying which it does.
#[component]
pub(super) fn DisclosureButton(
    /// Whether the element is shown.
    open: RwSignal<bool>,
    /// The id of the element shown or hidden.
    controls: &'static str,
    /// The button's class.
    class: &'static str,
    /// The button's test id.
    testid: &'static str,
    /// The button's label.
    children: Children,
) -> impl IntoView {
    view! {
        <button
            type="button"
            class=class
            data-testid=testid
            aria-controls=controls
            aria-expanded=move || open.get().to_string()
            on:click=move |_| open.update(|o| *o = !*o)
        >
            {children()}
        </button>
    }
}

/// Brings the note form to the top of the screen with its first field focused, so writing
/// starts with one tap from anywhere on the visit page.
pub(super) fn jump_to_note_form() {
    focus("note-met_with");
    #[cfg(feature = "hydrate")]
    if let Some(form) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("note-form-section"))
    {
        form.scroll_into_view();
    }
}

/// Moves the keyboard focus (and the view) to an element, by id.
pub(super) fn focus(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            // A field or button takes the focus as it is; anything else only from script.
            if el.tab_index() < 0 {
                el.set_tab_index(-1);
            }
            let _ = el.focus();
            el.scroll_into_view();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}
