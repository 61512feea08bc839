//! Typed text columns. States and kinds are domain enums stored as their
//! words; structured values are JSON stored as text. Reading a word the enum
//! does not know, or JSON that does not parse, is an error — never a silent
//! default (a corrupt row must not read as "standard", "upgrade" or the
//! default rollback thresholds).
//!
//! The domain keeps no database types: the column impls live here, for
//! domain types of this crate.

use std::sync::Arc;

use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, DbErr, QueryResult, TryGetError, TryGetable, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The error when a stored word is not one the enum knows.
#[derive(Debug, thiserror::Error)]
#[error("unknown {kind} `{word}` in the database")]
pub struct UnknownWord {
    kind: &'static str,
    word: String,
}

/// Stores a domain enum as its word: `text_enum!(Type)` needs
/// `Type::as_str(self) -> &str` and `Type::parse(&str) -> Option<Type>` or
/// `Result<Type, _>` (say which as the second argument).
macro_rules! text_enum {
    ($ty:ty, $parse:expr) => {
        impl From<$ty> for sea_orm::Value {
            fn from(value: $ty) -> Self {
                #[allow(clippy::useless_conversion)]
                sea_orm::Value::String(Some(String::from(value.as_str())))
            }
        }

        impl sea_orm::TryGetable for $ty {
            fn try_get_by<I: sea_orm::ColIdx>(
                res: &sea_orm::QueryResult,
                idx: I,
            ) -> Result<Self, sea_orm::TryGetError> {
                let word = String::try_get_by(res, idx)?;
                let parse: fn(&str) -> Option<$ty> = $parse;
                parse(&word).ok_or_else(|| {
                    sea_orm::TryGetError::DbErr(sea_orm::DbErr::TryIntoErr {
                        from: "String",
                        into: stringify!($ty),
                        source: std::sync::Arc::new($crate::backend::columns::UnknownWord::new(
                            stringify!($ty),
                            word,
                        )),
                    })
                })
            }
        }

        impl sea_orm::sea_query::ValueType for $ty {
            fn try_from(value: sea_orm::Value) -> Result<Self, sea_orm::sea_query::ValueTypeErr> {
                let word = <String as sea_orm::sea_query::ValueType>::try_from(value)?;
                let parse: fn(&str) -> Option<$ty> = $parse;
                parse(&word).ok_or(sea_orm::sea_query::ValueTypeErr)
            }

            fn type_name() -> String {
                stringify!($ty).to_owned()
            }

            fn array_type() -> sea_orm::sea_query::ArrayType {
                sea_orm::sea_query::ArrayType::String
            }

            fn column_type() -> sea_orm::sea_query::ColumnType {
                sea_orm::sea_query::ColumnType::Text
            }
        }

        impl sea_orm::sea_query::Nullable for $ty {
            fn null() -> sea_orm::Value {
                sea_orm::Value::String(None)
            }
        }

        impl sea_orm::IntoActiveValue<$ty> for $ty {
            fn into_active_value(self) -> sea_orm::ActiveValue<$ty> {
                sea_orm::ActiveValue::Set(self)
            }
        }

        impl sea_orm::sea_query::postgres_array::NotU8 for $ty {}

        // Words are never auto-increment keys; part of a composite key, yes.
        impl sea_orm::TryFromU64 for $ty {
            fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
                Err(sea_orm::DbErr::ConvertFromU64(stringify!($ty)))
            }
        }
    };
}

impl UnknownWord {
    pub fn new(kind: &'static str, word: String) -> Self {
        Self { kind, word }
    }
}

text_enum!(crate::domain::tenants::lifecycle::LifecycleState, |w| {
    crate::domain::tenants::lifecycle::LifecycleState::parse(w)
});
text_enum!(crate::domain::tenants::tenant::Environment, |w| {
    crate::domain::tenants::tenant::Environment::parse(w).ok()
});
text_enum!(crate::domain::tenants::tenant::DeploymentKind, |w| {
    crate::domain::tenants::tenant::DeploymentKind::parse(w).ok()
});
text_enum!(crate::domain::tenants::tenant::IsolationMode, |w| {
    crate::domain::tenants::tenant::IsolationMode::parse(w).ok()
});
text_enum!(crate::domain::changes::change::ChangeKind, |w| {
    crate::domain::changes::change::ChangeKind::parse(w)
});
text_enum!(crate::domain::changes::change::ChangeModel, |w| {
    crate::domain::changes::change::ChangeModel::parse(w)
});
text_enum!(crate::domain::changes::change::ChangeStatus, |w| {
    crate::domain::changes::change::ChangeStatus::parse(w)
});
text_enum!(crate::domain::changes::change::ApprovalMode, |w| {
    crate::domain::changes::change::ApprovalMode::parse(w)
});
text_enum!(crate::domain::rollouts::rollout::RolloutScope, |w| {
    crate::domain::rollouts::rollout::RolloutScope::parse(w)
});
text_enum!(crate::domain::rollouts::rollout::RolloutStatus, |w| {
    crate::domain::rollouts::rollout::RolloutStatus::parse(w)
});
text_enum!(crate::domain::rollouts::rollout::TargetStatus, |w| {
    crate::domain::rollouts::rollout::TargetStatus::parse(w)
});
text_enum!(crate::domain::platform::job::JobStatus, |w| {
    crate::domain::platform::job::JobStatus::parse(w)
});
text_enum!(crate::domain::releases::catalog::ReleaseStatus, |w| {
    crate::domain::releases::catalog::ReleaseStatus::parse(w)
});
text_enum!(crate::domain::deployments::bluegreen::TrafficSteps, |w| {
    crate::domain::deployments::bluegreen::TrafficSteps::parse(w).ok()
});
text_enum!(crate::domain::changes::decision::RequestStatus, |w| {
    crate::domain::changes::decision::RequestStatus::parse(w)
});
text_enum!(crate::domain::notifications::email::DeliveryStatus, |w| {
    crate::domain::notifications::email::DeliveryStatus::parse(w)
});
text_enum!(crate::domain::changes::change::StepStatus, |w| {
    crate::domain::changes::change::StepStatus::parse(w)
});
text_enum!(crate::domain::deployments::bluegreen::Slot, |w| {
    crate::domain::deployments::bluegreen::Slot::parse(w)
});
text_enum!(crate::domain::deployments::bluegreen::RouterKind, |w| {
    crate::domain::deployments::bluegreen::RouterKind::parse(w)
});
text_enum!(crate::domain::deployments::bluegreen::SlotState, |w| {
    crate::domain::deployments::bluegreen::SlotState::parse(w)
});
text_enum!(crate::domain::deployments::bluegreen::SlotHealth, |w| {
    crate::domain::deployments::bluegreen::SlotHealth::parse(w)
});
text_enum!(
    crate::domain::deployments::bluegreen::SwitchEventKind,
    |w| { crate::domain::deployments::bluegreen::SwitchEventKind::parse(w) }
);
text_enum!(
    crate::domain::notifications::notification::NotificationKind,
    |w| { crate::domain::notifications::notification::NotificationKind::parse(w) }
);
text_enum!(crate::domain::releases::compliance::ComplianceKind, |w| {
    crate::domain::releases::compliance::ComplianceKind::parse(w)
});
text_enum!(crate::domain::changes::schedule::PolicyZone, |w| {
    crate::domain::changes::schedule::PolicyZone::parse(w)
});
text_enum!(crate::domain::releases::compliance::PolicyLevel, |w| {
    crate::domain::releases::compliance::PolicyLevel::parse(w)
});
text_enum!(crate::domain::changes::decision::ChangeDecision, |w| {
    crate::domain::changes::decision::ChangeDecision::parse(w)
});
text_enum!(crate::domain::deployments::bluegreen::SwitchStatus, |w| {
    crate::domain::deployments::bluegreen::SwitchStatus::parse(w)
});

/// A value stored as JSON text (the columns are TEXT on both databases).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JsonText<T>(pub T);

impl<T: Serialize> From<JsonText<T>> for Value {
    fn from(value: JsonText<T>) -> Self {
        // Plain data (strings, numbers, string-keyed maps) always serialises.
        Value::String(Some(
            serde_json::to_string(&value.0).expect("a JSON column holds plain data"),
        ))
    }
}

impl<T: DeserializeOwned> TryGetable for JsonText<T> {
    fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
        let text = String::try_get_by(res, idx)?;
        serde_json::from_str(&text).map(JsonText).map_err(|e| {
            TryGetError::DbErr(DbErr::TryIntoErr {
                from: "String",
                into: std::any::type_name::<T>(),
                source: Arc::new(e),
            })
        })
    }
}

impl<T: DeserializeOwned> ValueType for JsonText<T> {
    fn try_from(value: Value) -> Result<Self, ValueTypeErr> {
        let text = <String as ValueType>::try_from(value)?;
        serde_json::from_str(&text)
            .map(JsonText)
            .map_err(|_| ValueTypeErr)
    }

    fn type_name() -> String {
        format!("JsonText<{}>", std::any::type_name::<T>())
    }

    fn array_type() -> ArrayType {
        ArrayType::String
    }

    fn column_type() -> ColumnType {
        ColumnType::Text
    }
}

impl<T> Nullable for JsonText<T> {
    fn null() -> Value {
        Value::String(None)
    }
}

impl<T: Serialize> sea_orm::IntoActiveValue<JsonText<T>> for JsonText<T> {
    fn into_active_value(self) -> sea_orm::ActiveValue<JsonText<T>> {
        sea_orm::ActiveValue::Set(self)
    }
}

impl<T> sea_orm::sea_query::postgres_array::NotU8 for JsonText<T> {}

impl<T: Serialize> JsonText<T> {
    /// The stored text, e.g. for a field-change record or the search text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(&self.0).expect("a JSON column holds plain data")
    }
}

impl<T> std::ops::Deref for JsonText<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tenants::lifecycle::LifecycleState;

    #[test]
    fn an_enum_is_stored_as_its_word_and_read_back() {
        let stored: Value = LifecycleState::Suspended.into();
        assert_eq!(stored, Value::String(Some("suspended".into())));
        assert_eq!(
            <LifecycleState as ValueType>::try_from(stored).unwrap(),
            LifecycleState::Suspended
        );
    }

    #[test]
    fn an_unknown_word_is_an_error_not_a_default() {
        assert!(
            <LifecycleState as ValueType>::try_from(Value::String(Some("gone".into()))).is_err()
        );
    }

    #[test]
    fn json_text_round_trips_and_refuses_what_does_not_parse() {
        let labels = JsonText(vec!["eu".to_owned(), "pilot".to_owned()]);
        let stored: Value = labels.clone().into();
        assert_eq!(stored, Value::String(Some(r#"["eu","pilot"]"#.into())));
        assert_eq!(
            <JsonText<Vec<String>> as ValueType>::try_from(stored).unwrap(),
            labels
        );
        assert!(
            <JsonText<Vec<String>> as ValueType>::try_from(Value::String(Some("{".into())))
                .is_err()
        );
    }
}
