//! Compose CLI detection, argv building and engine state (see issue 3).
