//! A form's problems, each said beside its field in the user's language.

use crate::domain::{FieldError, Problem};
use crate::ui::i18n::{problem_text, use_lang};
use leptos::prelude::*;

/// The problems a form was refused with, by field; each field's message has the id
/// `{prefix}-{field}-error`, for `aria-describedby`.
#[derive(Clone, Copy)]
pub(in crate::ui) struct FieldProblems {
    /// The problems now shown.
    pub list: RwSignal<Vec<FieldError>>,
    prefix: &'static str,
}

impl FieldProblems {
    /// None yet, for the form whose ids start with `prefix`.
    pub fn new(prefix: &'static str) -> Self {
        Self {
            list: RwSignal::new(Vec::new()),
            prefix,
        }
    }

    /// The problem with `field`, if any.
    pub fn of(self, field: &'static str) -> Option<Problem> {
        self.list.with(|list| {
            list.iter()
                .find(|e| e.field == field)
                .map(|e| e.problem.clone())
        })
    }

    /// `aria-invalid` for `field`.
    pub fn invalid(self, field: &'static str) -> impl Fn() -> String + Send + Sync + Copy {
        move || self.of(field).is_some().to_string()
    }

    /// The message beside `field`.
    pub fn said(self, field: &'static str) -> impl IntoView {
        let lang = use_lang();
        let id = format!("{}-{field}-error", self.prefix);
        view! {
            <span class="field-error" id=id.clone() data-testid=id>
                {move || self.of(field).map(|p| problem_text(lang.get(), &p))}
            </span>
        }
    }
}
