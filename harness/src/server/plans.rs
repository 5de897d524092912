//! Compiled plans, shared: a plan is a function of the scenario, the seed, the request's faults
//! and its `Last-Event-ID`, so requests that agree on those (a load test's thousand streams, a
//! page that asks again) share one compiled plan instead of compiling and holding a copy each.
//! Small plans only (at most [`MAX_BODY`] body bytes), at most [`MAX_PLANS`] of them (the
//! cache starts over when full).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::plan::{self, Plan};

/// Plans kept.
const MAX_PLANS: usize = 64;
/// The largest plan body kept (bigger plans are compiled per request).
const MAX_BODY: u64 = 1024 * 1024;

/// The cache.
#[derive(Debug, Default)]
pub(crate) struct Plans {
    map: Mutex<HashMap<String, Arc<Plan>>>,
}

impl Plans {
    /// The plan for `key`, compiled by `compile` when not cached.
    pub(crate) fn get(&self, key: String, compile: impl FnOnce() -> Plan) -> Arc<Plan> {
        if let Some(p) = self.map.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return p.clone();
        }
        let plan = Arc::new(compile());
        if plan::body_len(&plan) <= MAX_BODY {
            let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
            if map.len() >= MAX_PLANS {
                map.clear();
            }
            map.insert(key, plan.clone());
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Action;

    #[test]
    fn the_same_key_shares_one_plan() {
        let plans = Plans::default();
        let a = plans.get("k".into(), || vec![Action::Head, Action::Close]);
        let b = plans.get("k".into(), || panic!("compiled twice"));
        assert!(Arc::ptr_eq(&a, &b));
        for i in 0..(MAX_PLANS + 1) {
            plans.get(format!("k{i}"), Vec::new);
        }
        assert!(plans.map.lock().unwrap().len() <= MAX_PLANS);
    }
}
