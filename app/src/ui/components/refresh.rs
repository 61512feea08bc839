//! Keeping a page on live work current once it is hydrated (UI.md §5: poll
//! after hydration; before it, the page offers a Refresh link).

use std::time::Duration;

use leptos::prelude::*;

use crate::error::AppError;

/// How often pages on running work refetch.
pub const REFRESH_EVERY: Duration = Duration::from_secs(2);

/// Refetches `resource` every [`REFRESH_EVERY`] while `active` holds for its
/// latest value. A refetch that failed for a passing reason (the server busy
/// or out of reach) keeps the page polling, so one bad answer does not freeze
/// a page on running work; a missing or forbidden object stops it. Runs in
/// the browser only (effects do not run on the server).
pub fn refresh_while<V>(
    resource: Resource<Result<V, AppError>>,
    active: impl Fn(&V) -> bool + 'static,
) where
    V: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    // Read in an effect (not in the timer), as resources want after hydration.
    let live = RwSignal::new(false);
    Effect::new(move |_| {
        live.set(resource.get().is_some_and(|loaded| match &loaded {
            Ok(value) => active(value),
            Err(error) => keeps_polling(error),
        }))
    });
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                if live.get_untracked() {
                    resource.refetch();
                }
            },
            REFRESH_EVERY,
        )
        .ok();
        on_cleanup(move || {
            if let Some(handle) = handle {
                handle.clear();
            }
        });
    });
}

/// Whether a page on running work keeps polling after this failed refetch.
pub fn keeps_polling(error: &AppError) -> bool {
    !matches!(
        error,
        AppError::NotFound | AppError::Forbidden | AppError::Unauthenticated
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passing_failure_keeps_the_page_live_and_a_missing_object_stops_it() {
        assert!(keeps_polling(&AppError::Internal));
        assert!(keeps_polling(&AppError::Transport("reset".into())));
        assert!(!keeps_polling(&AppError::NotFound));
        assert!(!keeps_polling(&AppError::Unauthenticated));
    }
}
