//! Synchronisation for the tasks of one executor (`!Send`): waiting
//! suspends only the waiting task, and every primitive also speaks futures.
