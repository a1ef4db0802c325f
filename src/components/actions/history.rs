//! The undo history: every operation that can be taken back pushes its steps; Ctrl+Z (or
//! a toast's Undo) takes back the newest. A failed operation pushes nothing, so the
//! history survives it: the earlier operations stay undoable.

/// A bounded stack of undoable operations, newest last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History<T> {
    done: Vec<Vec<T>>,
    limit: usize,
}

impl<T> History<T> {
    /// An empty history keeping at most `limit` operations (the oldest go first).
    pub fn new(limit: usize) -> Self {
        Self {
            done: Vec::new(),
            limit: limit.max(1),
        }
    }

    /// Records an operation's steps; an operation without steps is not recorded.
    pub fn push(&mut self, steps: Vec<T>) {
        if steps.is_empty() {
            return;
        }
        if self.done.len() == self.limit {
            self.done.remove(0);
        }
        self.done.push(steps);
    }

    /// Takes the newest operation's steps off the history.
    pub fn pop(&mut self) -> Option<Vec<T>> {
        self.done.pop()
    }

    /// Whether there is anything to undo.
    pub fn is_empty(&self) -> bool {
        self.done.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::History;

    #[test]
    fn newest_first_and_failures_leave_it_intact() {
        let mut history = History::new(10);
        history.push(vec!["move a"]);
        history.push(vec!["copy b", "copy c"]);
        history.push(Vec::new()); // a failed rename: nothing to take back
        assert_eq!(history.pop(), Some(vec!["copy b", "copy c"]));
        assert_eq!(history.pop(), Some(vec!["move a"]));
        assert_eq!(history.pop(), None);
        assert!(history.is_empty());
    }

    #[test]
    fn the_oldest_go_when_full() {
        let mut history = History::new(2);
        for step in 1..=3 {
            history.push(vec![step]);
        }
        assert_eq!(history.pop(), Some(vec![3]));
        assert_eq!(history.pop(), Some(vec![2]));
        assert_eq!(history.pop(), None);
    }
}
