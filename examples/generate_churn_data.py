"""Write deterministic users and product events for the churn example, as CSV.

    python examples/generate_churn_data.py [OUTPUT_DIR] [--users N]

``users.csv`` has user_id, plan_tier (free, team, business), country and signup_date;
``events.csv`` has user_id, event_type and event_date over the 90 days before 2024-06-30;
``labels.csv`` has user_id and churned (1.0 if the user left in the month after). Churn is drawn
from a logistic model of recent activity and plan, so a classifier has something to learn. The
same arguments always produce the same files.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
from datetime import date, timedelta
from pathlib import Path

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "data" / "churn"
AS_OF = date(2024, 6, 30)
PLANS = ["free", "team", "business"]
PLAN_WEIGHTS = [60, 30, 10]
COUNTRIES = ["US", "DE", "IN", "BR", "JP"]
EVENT_TYPES = ["login", "view", "edit", "share", "export"]
SEED = 20240630


def generate(output: Path = DEFAULT_OUTPUT, users: int = 2_000) -> Path:
    """Write ``users.csv``, ``events.csv`` and ``labels.csv`` under ``output``."""
    rng = random.Random(SEED)
    output.mkdir(parents=True, exist_ok=True)
    with (
        (output / "users.csv").open("w", newline="", encoding="utf-8") as users_file,
        (output / "events.csv").open("w", newline="", encoding="utf-8") as events_file,
        (output / "labels.csv").open("w", newline="", encoding="utf-8") as labels_file,
    ):
        user_rows = csv.writer(users_file)
        event_rows = csv.writer(events_file)
        label_rows = csv.writer(labels_file)
        user_rows.writerow(["user_id", "plan_tier", "country", "signup_date"])
        event_rows.writerow(["user_id", "event_type", "event_date"])
        label_rows.writerow(["user_id", "churned"])
        for n in range(users):
            user_id = f"u{n:05d}"
            plan = rng.choices(PLANS, PLAN_WEIGHTS)[0]
            signup = AS_OF - timedelta(days=rng.randrange(91, 720))
            user_rows.writerow([user_id, plan, rng.choice(COUNTRIES), signup.isoformat()])
            engagement = rng.lognormvariate(2.5, 0.8)
            fading = rng.random() < 0.35
            last_active = rng.randrange(30, 90) if fading else rng.randrange(0, 10)
            count = max(1, int(engagement * (0.4 if fading else 1.0)))
            for _ in range(count):
                day = AS_OF - timedelta(days=last_active + rng.randrange(0, 91 - last_active))
                event_rows.writerow([user_id, rng.choice(EVENT_TYPES), day.isoformat()])
            score = 0.04 * last_active - 0.05 * count - 0.8 * PLANS.index(plan) + rng.gauss(0, 1)
            churned = 1.0 if rng.random() < 1 / (1 + math.exp(-score)) else 0.0
            label_rows.writerow([user_id, churned])
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--users", type=int, default=2_000)
    options = parser.parse_args()
    print(f"wrote churn data to {generate(options.output, options.users)}")


if __name__ == "__main__":
    main()
