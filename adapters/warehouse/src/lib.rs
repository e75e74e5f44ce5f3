//! The warehouse: sessions, events and recording chunks behind one trait
