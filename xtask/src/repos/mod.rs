//! Repository sync, status and lock (see issue 2).
