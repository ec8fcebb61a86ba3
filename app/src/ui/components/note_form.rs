//! The form that records an outreach note, and the draft it shares with the notes and the
//! refused changes shown beside it.

use crate::client::{use_device, DraftOf};
use crate::domain::{FieldError, NoteField, NoteFields, NoteId, VisitId};
use crate::sync::Op;
use crate::ui::i18n::{field_error_text, note_field_label, tr, use_lang, T};
use leptos::prelude::*;

/// The note being written on this visit page.
#[derive(Clone, Copy)]
pub(in crate::ui) struct Draft(pub(in crate::ui) RwSignal<NoteFields>);

/// The note and revision the form amends, when its author is answering a return.
#[derive(Clone, Copy)]
pub(in crate::ui) struct Amending(pub(in crate::ui) RwSignal<Option<(NoteId, u32)>>);

/// Writes a note into the outbox. The draft is saved on the device at every keystroke, the
/// rules are checked here with the same code as on the server, and "saved" is said only once
/// IndexedDB has committed the note.
#[component]
pub(in crate::ui) fn NoteForm(visit_id: VisitId) -> impl IntoView {
    let lang = use_lang();
    let device = use_device();
    let draft = expect_context::<Draft>().0;
    let amending = expect_context::<Amending>().0;
    let errors = RwSignal::new(Vec::<FieldError>::new());
    // Whether the note just saved met the person, for the message that says so.
    let saved_met = RwSignal::new(None::<bool>);
    let failed = RwSignal::new(false);
    let saving = RwSignal::new(false);
    // Bring back what was being typed before a reload or a crash.
    leptos::task::spawn_local(async move {
        if let Some(kept) = device.draft::<NoteFields>(DraftOf::Note(visit_id)).await {
            draft.set(kept);
        }
    });
    let keep = move || {
        // While the note is being committed its draft goes with it; keys pressed meanwhile
        // are not kept (the form is emptied once it is saved, or kept on screen if not).
        if saving.get_untracked() {
            return;
        }
        let current = draft.get_untracked();
        leptos::task::spawn_local(async move {
            let _ = device.save_draft(DraftOf::Note(visit_id), current).await;
        });
    };
    let field_error = move |name: &'static str| {
        move || {
            errors.with(|list| list.iter().find(|e| e.field == name).cloned()).map(|fe| {
                view! {
                    <span class="field-error" id=format!("{name}-error") data-testid=format!("field-error-{name}")>
                        {field_error_text(lang.get(), &fe)}
                    </span>
                }
            })
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved_met.set(None);
        failed.set(false);
        let fields = match draft.get_untracked().validate() {
            Ok(fields) => fields,
            Err(problems) => {
                errors.set(problems);
                return;
            }
        };
        errors.set(Vec::new());
        saving.set(true);
        let met = fields.met;
        let op = match amending.get_untracked() {
            Some((note_id, amends)) => Op::AmendNote {
                note_id,
                amends,
                fields,
            },
            None => Op::CreateNote {
                note_id: NoteId(uuid::Uuid::new_v4()),
                visit_id,
                fields,
            },
        };
        leptos::task::spawn_local(async move {
            match device.record_from_draft(op, DraftOf::Note(visit_id)).await {
                Ok(()) => {
                    amending.set(None);
                    let fresh = NoteFields {
                        met: true,
                        ..Default::default()
                    };
                    // Its draft went with the commit.
                    draft.set(fresh);
                    saved_met.set(Some(met));
                }
                Err(_) => failed.set(true),
            }
            saving.set(false);
        });
    };
    view! {
        <section class="card note-form" id="note-form-section" aria-labelledby="note-form-title">
            <h2 id="note-form-title">{tr(T::RecordNote)}</h2>
            <p class="hint">{tr(T::DraftSaved)}</p>
            {move || amending.get().map(|_| view! {
                <p class="amending" role="status" data-testid="amending">
                    {tr(T::AmendingNote)} " "
                    <button type="button" class="link-button" data-testid="amend-cancel"
                        on:click=move |_| amending.set(None)>{tr(T::CancelAmend)}</button>
                </p>
            })}
            <form data-testid="note-form" on:submit=submit novalidate>
                <fieldset class="met">
                    <legend>{tr(T::WasMet)}</legend>
                    <label>
                        <input type="radio" name="met" value="true" data-testid="met-yes"
                            prop:checked=move || draft.with(|d| d.met)
                            on:change=move |_| { draft.update(|d| d.met = true); keep(); }/>
                        {tr(T::Met)}
                    </label>
                    <label>
                        <input type="radio" name="met" value="false" data-testid="met-no"
                            prop:checked=move || draft.with(|d| !d.met)
                            on:change=move |_| { draft.update(|d| d.met = false); keep(); }/>
                        {tr(T::NotMet)}
                    </label>
                </fieldset>
                {NoteField::ALL
                    .iter()
                    .map(|&field| {
                        let name = field.code();
                        let id = format!("note-{name}");
                        let required = move || field.is_required(draft.with(|d| d.met));
                        let rows = if field == NoteField::FreeText { 6 } else { 2 };
                        view! {
                            <div class="field">
                                <label for=id.clone()>
                                    {move || note_field_label(lang.get(), field)}
                                    <Show when=required>
                                        <span class="required">" (" {tr(T::RequiredMark)} ")"</span>
                                    </Show>
                                </label>
                                <textarea
                                    id=id
                                    name=name
                                    rows=rows
                                    maxlength=field.max_len()
                                    aria-required=move || required().to_string()
                                    aria-invalid=move || errors.with(|l| l.iter().any(|e| e.field == name)).to_string()
                                    aria-describedby=format!("{name}-error")
                                    data-testid=format!("note-{name}")
                                    prop:value=move || draft.with(|d| d.get(field).to_owned())
                                    on:input=move |ev| {
                                        let text = event_target_value(&ev);
                                        draft.update(|d| *d.slot(field) = text);
                                        keep();
                                    }
                                ></textarea>
                                {field_error(name)}
                            </div>
                        }
                    })
                    .collect_view()}
                <p class="form-error" role="alert" data-testid="note-error">
                    {move || {
                        if failed.get() {
                            Some(tr(T::NoteNotSaved)())
                        } else {
                            errors.with(|l| !l.is_empty()).then(|| tr(T::FixFields)())
                        }
                    }}
                </p>
                <p class="saved" role="status" data-testid="note-saved">
                    {move || saved_met.get().map(|met| if met { tr(T::NoteSaved)() } else { tr(T::NoteSavedNotMet)() })}
                </p>
                <button type="submit" class="primary" data-testid="note-submit" disabled=move || saving.get()>
                    {move || if saving.get() { tr(T::Submitting)() } else { tr(T::SubmitNote)() }}
                </button>
            </form>
        </section>
    }
}
