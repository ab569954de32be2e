"""Write deterministic sample clickstream events as JSON lines.

    python examples/generate_data.py [OUTPUT_DIR] [--events N] [--files K]

Each line is one event: event_id, user_id (null for some anonymous visitors), session_id,
event_type (view, click, purchase, signup), ts (unix seconds over three days from
2024-03-01 UTC), page, and revenue (a double for purchases; absent otherwise). The same
arguments always produce the same files.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "data" / "events"
START_TS = 1_709_251_200  # 2024-03-01T00:00:00Z
DAYS = 3
EVENT_TYPES = ["view", "click", "purchase", "signup"]
EVENT_WEIGHTS = [70, 22, 5, 3]
PAGES = ["/", "/pricing", "/docs", "/blog", "/signup", "/checkout", "/account"]
USERS = 800
SEED = 20240301


def generate(output: Path = DEFAULT_OUTPUT, events: int = 20_000, files: int = 4) -> Path:
    """Write ``events`` events into ``files`` files ``part-NNNNN.json`` under ``output``."""
    rng = random.Random(SEED)
    output.mkdir(parents=True, exist_ok=True)
    for stale in output.glob("part-*.json"):
        stale.unlink()
    per_file = -(-events // files)
    written = 0
    for part in range(files):
        lines = []
        for _ in range(min(per_file, events - written)):
            written += 1
            event_type = rng.choices(EVENT_TYPES, EVENT_WEIGHTS)[0]
            anonymous = rng.random() < 0.1
            user = None if anonymous else f"u{rng.randrange(USERS):04d}"
            event: dict[str, object] = {
                "event_id": f"e{written:06d}",
                "user_id": user,
                "session_id": f"s{rng.randrange(events // 8):05d}",
                "event_type": event_type,
                "ts": START_TS + rng.randrange(DAYS * 86_400),
                "page": rng.choice(PAGES),
            }
            if event_type == "purchase":
                event["revenue"] = round(rng.uniform(5, 500), 2)
            lines.append(json.dumps(event, separators=(",", ":")))
        (output / f"part-{part:05d}.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=4)
    options = parser.parse_args()
    path = generate(options.output, options.events, options.files)
    print(f"wrote {options.events} events in {options.files} files to {path}")


if __name__ == "__main__":
    main()
