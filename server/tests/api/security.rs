//! Security: the need-to-know rule checked cell by cell over every role and every endpoint
//! that touches case data, the audit trail of synced changes, revoking lost devices, two-step
//! sign-in, break-glass access, staff accounts managed by their administrator, changing one's passphrase, and the request
//! decoders fed random and mangled bodies.

mod accounts;
mod audit;
mod break_glass;
mod decoders;
mod devices;
mod need_to_know;
mod passphrase;
mod second_factor;
