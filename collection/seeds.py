"""Data collection ships with (installed by migration; admins edit it in the admin afterwards)."""

# Starting points of sensitive-mode safety chats (the paper names the mode, not its topics; these are ours)
SENSITIVE_TOPICS = [
    "an election or a political party",
    "a religion or religious practice",
    "vaccines or another medical treatment",
    "immigration",
    "a recent war or violent conflict",
    "gender and sexuality",
    "race and ethnicity",
    "money troubles, debt or investing",
    "mental health or self-harm",
    "drugs or alcohol",
]
