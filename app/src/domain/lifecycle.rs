//! Tenant lifecycle states (PRODUCT.md, "Tenant lifecycle"). The transition
//! rules arrive with the tenant registry; the states themselves are needed now
//! so the dashboard can count tenants by state.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleState {
    Draft,
    Provisioning,
    Active,
    Broken,
    Maintenance,
    BackingUp,
    Restoring,
    Upgrading,
    Testing,
    Suspended,
    Archived,
    Deleted,
}

/// Visual tone of a status badge (UI.md §4): the word and icon carry the
/// meaning, the tone only reinforces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Neutral,
    Info,
    Success,
    Attention,
    Severe,
    Danger,
}

impl Tone {
    pub fn css_class(self) -> &'static str {
        match self {
            Tone::Neutral => "tone-neutral",
            Tone::Info => "tone-info",
            Tone::Success => "tone-success",
            Tone::Attention => "tone-attention",
            Tone::Severe => "tone-severe",
            Tone::Danger => "tone-danger",
        }
    }
}

impl LifecycleState {
    pub const ALL: [LifecycleState; 12] = [
        Self::Draft,
        Self::Provisioning,
        Self::Active,
        Self::Broken,
        Self::Maintenance,
        Self::BackingUp,
        Self::Restoring,
        Self::Upgrading,
        Self::Testing,
        Self::Suspended,
        Self::Archived,
        Self::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Provisioning => "provisioning",
            Self::Active => "active",
            Self::Broken => "broken",
            Self::Maintenance => "maintenance",
            Self::BackingUp => "backing_up",
            Self::Restoring => "restoring",
            Self::Upgrading => "upgrading",
            Self::Testing => "testing",
            Self::Suspended => "suspended",
            Self::Archived => "archived",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Provisioning => "Provisioning",
            Self::Active => "Active",
            Self::Broken => "Broken",
            Self::Maintenance => "Maintenance",
            Self::BackingUp => "Backing up",
            Self::Restoring => "Restoring",
            Self::Upgrading => "Upgrading",
            Self::Testing => "Testing",
            Self::Suspended => "Suspended",
            Self::Archived => "Archived",
            Self::Deleted => "Deleted",
        }
    }

    pub fn tone(self) -> Tone {
        match self {
            Self::Active => Tone::Success,
            Self::Broken => Tone::Danger,
            Self::Maintenance => Tone::Attention,
            Self::Suspended => Tone::Severe,
            Self::Provisioning
            | Self::BackingUp
            | Self::Restoring
            | Self::Upgrading
            | Self::Testing => Tone::Info,
            Self::Draft | Self::Archived | Self::Deleted => Tone::Neutral,
        }
    }

    /// The glyph drawn beside the word, so the state never depends on colour alone.
    pub fn glyph(self) -> &'static str {
        match self {
            Self::Draft => "◌",
            Self::Provisioning => "⟳",
            Self::Active => "✓",
            Self::Broken => "✕",
            Self::Maintenance => "⚒",
            Self::BackingUp => "⛁",
            Self::Restoring => "↺",
            Self::Upgrading => "↑",
            Self::Testing => "⚗",
            Self::Suspended => "⊘",
            Self::Archived => "▣",
            Self::Deleted => "🗑",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_stored_name() {
        for state in LifecycleState::ALL {
            assert_eq!(LifecycleState::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn unknown_state_names_are_not_states() {
        assert_eq!(LifecycleState::parse("ACTIVE"), None);
        assert_eq!(LifecycleState::parse(""), None);
    }

    #[test]
    fn work_in_progress_states_share_the_info_tone() {
        for state in [
            LifecycleState::Provisioning,
            LifecycleState::Upgrading,
            LifecycleState::Testing,
        ] {
            assert_eq!(state.tone(), Tone::Info);
        }
        assert_eq!(LifecycleState::Broken.tone(), Tone::Danger);
    }
}
