//! `drop_terminator`: remove the provider's end-of-stream marker.

use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use super::{Fault, Live};
use crate::plan::{Action, Plan, Tag};

/// Config: none. Removes every write tagged `terminator` (`data: [DONE]`, Anthropic's
/// `message_stop`, the Responses API's `response.completed`, Ollama's `"done": true` line);
/// the stream then ends however the plan ends (usually a clean close: `truncated`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DropTerminator {}

impl Fault for DropTerminator {
    const DESCRIPTION: &'static str =
        "remove the provider's terminator ([DONE], message_stop, done line)";

    fn parse_arg(_arg: Option<&str>) -> Result<Self, String> {
        Ok(DropTerminator {})
    }

    fn live(&self) -> Live {
        Live::Events
    }

    fn apply(&self, plan: Plan, _rng: &mut SmallRng) -> Plan {
        plan.into_iter()
            .filter(|a| {
                !matches!(
                    a,
                    Action::Write {
                        tag: Tag::Terminator,
                        ..
                    }
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::tests::{body, rng, w};

    #[test]
    fn removes_only_the_terminator() {
        let plan = vec![
            w("data: 1\n\n", Tag::Event),
            w("data: [DONE]\n\n", Tag::Terminator),
            Action::Close,
        ];
        let out = DropTerminator {}.apply(plan, &mut rng());
        assert_eq!(body(&out), b"data: 1\n\n");
        assert_eq!(out.last(), Some(&Action::Close));
    }
}
