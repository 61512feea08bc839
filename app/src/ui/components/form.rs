//! Form building blocks: labelled fields with their errors, and reading a
//! server-function error that came back in the URL when JavaScript was off.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use server_fn::ServerFn;
use server_fn::error::ServerFnUrlError;

use crate::error::AppError;

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

/// The message `error` has for `field`, if any: what a field shows under its label.
pub fn field_message(error: Memo<Option<AppError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || {
        error
            .get()
            .and_then(|e| e.field_errors().for_field(field).map(str::to_owned))
    })
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
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let input_id = format!("field-{name}");
    let error_id = format!("err-{name}");
    let help_id = format!("help-{name}");
    let described_by = {
        let (error_id, help_id) = (error_id.clone(), help_id.clone());
        move || {
            let mut ids = vec![];
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            if help.is_some() {
                ids.push(help_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=input_id.clone()>
                {label}
                {required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> })}
            </label>
            {move || error.get().map(|message| view! {
                <p class="field-error" id=error_id.clone()>
                    <span aria-hidden="true">"⚠ "</span>{message}
                </p>
            })}
            <input
                id=input_id.clone()
                name=name
                type=input_type
                autocomplete=autocomplete
                required=required
                autofocus=move || autofocus || error.get().is_some()
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
            />
            {help.map(|h| view! { <p class="field-help" id=help_id.clone()>{h}</p> })}
        </div>
    }
}
