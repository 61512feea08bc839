//! Form building blocks: labelled fields with their errors, and reading a
//! server-function error that came back in the URL when JavaScript was off.

use leptos::prelude::*;
use leptos::tachys::html::attribute::Attribute;
use leptos_router::hooks::use_query_map;
use server_fn::ServerFn;
use server_fn::error::ServerFnUrlError;

use crate::error::AppError;
use crate::ui::components::page::Alert;

/// The error a server function at `path` put into the URL (`__path`/`__err`)
/// after a plain HTML form post.
pub fn url_error_for(path: &'static str) -> Memo<Option<AppError>> {
    let query = use_query_map();
    Memo::new(move |_| {
        let query = query.read();
        match (query.get("__path"), query.get("__err")) {
            (Some(p), Some(err)) if p == path => {
                Some(ServerFnUrlError::<AppError>::decode_err(&err))
            }
            _ => None,
        }
    })
}

/// The error of the latest submit of `action`: held by the action once
/// hydrated, or read back from the URL after a plain HTML form post.
pub fn action_error<S>(action: ServerAction<S>) -> Memo<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let from_url = url_error_for(S::PATH);
    Memo::new(move |_| {
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| from_url.get())
    })
}

/// How many submits of `action` have succeeded: a resource source that
/// refetches after a success only, so a refused form is not redrawn and keeps
/// what was typed.
pub fn success_count<S>(action: ServerAction<S>) -> Memo<usize>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Memo::new(move |previous: Option<&usize>| {
        let count = previous.copied().unwrap_or(0);
        match action.value().get() {
            Some(Ok(_)) => count + 1,
            _ => count,
        }
    })
}

/// The message `error` has for `field`, if any: what a field shows under its label.
pub fn field_message(error: Memo<Option<AppError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || {
        error
            .get()
            .and_then(|e| e.field_errors().for_field(field).map(str::to_owned))
    })
}

/// The ids of a field's input, error and help, and its `aria-describedby`
/// (the error first, then the help).
#[derive(Clone)]
struct FieldIds {
    input: String,
    error: String,
    help: String,
}

impl FieldIds {
    fn of(name: &str) -> Self {
        Self {
            input: format!("field-{name}"),
            error: format!("err-{name}"),
            help: format!("help-{name}"),
        }
    }

    fn described_by(
        &self,
        error: Signal<Option<String>>,
        has_help: bool,
    ) -> impl Fn() -> Option<String> + Send + Sync + 'static + use<> {
        let (error_id, help_id) = (self.error.clone(), self.help.clone());
        move || {
            let mut ids = vec![];
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            if has_help {
                ids.push(help_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    }

    /// What every control of a field carries: its id and name, `required`,
    /// and `aria-invalid`/`aria-describedby` following the error.
    fn control(
        &self,
        name: &'static str,
        required: bool,
        error: Signal<Option<String>>,
        has_help: bool,
    ) -> impl Attribute + use<> {
        let (id, described_by) = (self.input.clone(), self.described_by(error, has_help));
        view! {
            <{..}
                id=id
                name=name
                required=required
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
            />
        }
    }
}

/// Label above, error (with its icon) between label and control, help below.
#[component]
fn FieldFrame(
    ids: FieldIds,
    label: &'static str,
    required: bool,
    help: Option<&'static str>,
    error: Signal<Option<String>>,
    children: Children,
) -> impl IntoView {
    let error_id = ids.error.clone();
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=ids.input.clone()>
                {label}
                {required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> })}
            </label>
            {move || error.get().map(|message| view! {
                <p class="field-error" id=error_id.clone()>
                    <span aria-hidden="true">"⚠ "</span>{message}
                </p>
            })}
            {children()}
            {help.map(|h| view! { <p class="field-help" id=ids.help.clone()>{h}</p> })}
        </div>
    }
}

#[component]
pub fn TextField(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] autofocus: bool,
    #[prop(optional)] help: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
    /// The value the field starts with (kept when a form is shown again).
    #[prop(optional, into)]
    value: Option<String>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let ids = FieldIds::of(name);
    let control = ids.control(name, required, error, help.is_some());
    view! {
        <FieldFrame ids=ids.clone() label required help error>
            <input
                {..control}
                type=input_type
                autocomplete=autocomplete
                placeholder=placeholder
                value=value.clone()
                autofocus=move || autofocus || error.get().is_some()
            />
        </FieldFrame>
    }
}

/// A `<select>` with its label, error and help. `bind`, when given, follows
/// the chosen value once the page is hydrated (to show or hide other fields).
#[component]
pub fn SelectField(
    name: &'static str,
    label: &'static str,
    /// (value, label)
    options: Vec<(String, String)>,
    #[prop(optional, into)] selected: Option<String>,
    /// A first option with an empty value, e.g. "Any" or "Choose…".
    #[prop(optional)]
    empty: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] help: Option<&'static str>,
    #[prop(optional)] bind: Option<RwSignal<String>>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let ids = FieldIds::of(name);
    let control = ids.control(name, required, error, help.is_some());
    view! {
        <FieldFrame ids=ids.clone() label required help error>
            <select
                {..control}
                on:change=move |ev| {
                    if let Some(bind) = bind {
                        bind.set(event_target_value(&ev));
                    }
                }
            >
                {empty.map(|text| view! { <option value="">{text}</option> })}
                {options.into_iter().map(|(value, text)| {
                    let is_selected = selected.as_deref() == Some(value.as_str());
                    view! { <option value=value selected=is_selected>{text}</option> }
                }).collect_view()}
            </select>
        </FieldFrame>
    }
}

/// A `<textarea>` with its label, error and help.
#[component]
pub fn TextAreaField(
    name: &'static str,
    label: &'static str,
    #[prop(default = 3)] rows: u32,
    #[prop(optional)] required: bool,
    #[prop(optional)] help: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
    /// The text the field starts with.
    #[prop(optional, into)]
    value: Option<String>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let ids = FieldIds::of(name);
    let control = ids.control(name, required, error, help.is_some());
    view! {
        <FieldFrame ids=ids.clone() label required help error>
            <textarea {..control} rows=rows placeholder=placeholder>{value.unwrap_or_default()}</textarea>
        </FieldFrame>
    }
}

/// What a form shows above its fields after a failed submit: a problem that
/// belongs to no field as an alert, or a summary of the field errors that
/// links to each field (`field_name` maps an error's key to the input name).
#[component]
pub fn FormErrors(
    error: Memo<Option<AppError>>,
    #[prop(default = |key: &str| key.to_owned())] field_name: fn(&str) -> String,
) -> impl IntoView {
    move || {
        let error = error.get()?;
        let fields = error.field_errors();
        Some(if fields.is_empty() {
            view! { <Alert tone="danger"><span data-testid="form-error">{error.to_string()}</span></Alert> }.into_any()
        } else {
            view! {
                <Alert tone="danger">
                    <p class="alert-title">{error.to_string()}</p>
                    <ul class="error-summary">
                        {fields.0.into_iter().map(|f| view! {
                            <li><a href=format!("#field-{}", field_name(&f.field))>{f.message}</a></li>
                        }).collect_view()}
                    </ul>
                </Alert>
            }
            .into_any()
        })
    }
}

/// `form[key]`: the input name of a field of a server function's `form` argument.
pub fn form_field(key: &str) -> String {
    format!("form[{key}]")
}

/// A titled group of fields laid out side by side (a `<fieldset>`).
#[component]
pub fn FieldGroup(legend: &'static str, children: Children) -> impl IntoView {
    view! {
        <fieldset class="field">
            <legend>{legend}</legend>
            <div class="form-grid">{children()}</div>
        </fieldset>
    }
}

/// A filter of a GET filter bar: a `<select>` whose first option, "Any",
/// removes the filter.
#[component]
pub fn FilterSelect(
    name: &'static str,
    label: &'static str,
    /// (value, label)
    options: Vec<(String, String)>,
    selected: Option<String>,
) -> impl IntoView {
    let id = format!("filter-{name}");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id name=name>
                <option value="">"Any"</option>
                {options.into_iter().map(|(value, text)| {
                    let is_selected = selected.as_deref() == Some(value.as_str());
                    view! { <option value=value selected=is_selected>{text}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}
