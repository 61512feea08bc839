//! Audit: reading the trail every mutation writes (`backend::audit` writes it).

pub mod audit_log;
