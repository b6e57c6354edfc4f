"""CLI of the `cooperatives` domain; also plugs the onboarding's demo step into seed-demo."""

from __future__ import annotations

from marketplace import demo
from marketplace.cooperatives.demo_applications import demo_step

COMMANDS: list = []

if demo_step not in demo.DEMO_STEPS:
    demo.DEMO_STEPS.append(demo_step)
