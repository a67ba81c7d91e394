//! loom model of the park/notify handshake (filled in below).
