"""Seeded lecture variants with exact ground truth: the guard against tuning to one sample.

Each variant is a different lecture made the way real ones are (issue 11): slides that
share one layout under a course band, code followed by code, a title slide followed by
bullets under the same header, a code slide revealed line by line, female and male
voices at other rates, two and three speakers, a variable-frame-rate screen recording
and a mouse pointer gliding over the slides. The seed picks the voices (espeak-ng voice,
pitch and rate) from pools, so `variant(name, seed)` is another speaker set on the same
script.

    python -m vid2learn_dagster.sample.variants --out DIR [NAME ...]

Writes `<name>.mp4` and `<name>.json` (the same ground-truth shape as `lecture.json`,
plus `variant`, `seed`, `encoding` and, on revealed slides, `steps`).
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from vid2learn_dagster.sample.generate import Encoding, Lecture, Slide, Voice, generate

# Voice pools: (espeak-ng voice, pitch range, words per minute range).
MALE = (("en-us+m3", (25, 45), (140, 175)), ("en-gb-x-rp", (30, 50), (150, 180)),
        ("en-gb-scotland+m2", (35, 50), (140, 165)))  # fmt: skip
FEMALE = (("en-us+f3", (60, 80), (145, 175)), ("en-gb+f2", (65, 85), (150, 180)),
          ("en-us+f4", (55, 75), (140, 170)))  # fmt: skip


def _voice(rng: random.Random, speaker: str, pool: tuple) -> Voice:
    espeak, pitch, speed = rng.choice(pool)
    return Voice(speaker, espeak, rng.randint(*pitch), rng.randint(*speed))


# Nine lines: with the course band, a longer listing would run off the 720-pixel slide.
BINARY_SEARCH_CODE = (
    "def binary_search(items, target):\n"
    "    low, high = 0, len(items) - 1\n"
    "    while low <= high:\n"
    "        middle = (low + high) // 2\n"
    "        if items[middle] < target:\n"
    "            low = middle + 1\n"
    "        else:\n"
    "            high = middle - 1\n"
    "    return low\n"
)
LINEAR_SEARCH_CODE = (
    "def linear_search(items, target):\n"
    "    for index, item in enumerate(items):\n"
    "        if item == target:\n"
    "            return index\n"
    "    return -1\n"
)


def same_layout(rng: random.Random) -> Lecture:
    """Every slide under one course band on one light theme: a title slide followed by
    bullets, then code followed by code (the changes ContentDetector missed)."""
    teacher, student = _voice(rng, "lecturer", MALE), _voice(rng, "student", FEMALE)
    return Lecture(
        title="Searching a Sorted List",
        header="CS 101 - Algorithms - Week 3",
        slides=(
            Slide(
                title="Searching a Sorted List",
                body=("Linear search and binary search",),
                speech=((teacher, "Today we compare two ways to find an item in a list."),),
            ),
            Slide(
                title="Two strategies",
                body=("Linear search checks every item", "Binary search halves the range"),
                speech=(
                    (teacher, "Linear search checks every item, one after another."),
                    (teacher, "Binary search cuts the range in half at every step."),
                ),
            ),
            Slide(
                title="Linear search",
                code=LINEAR_SEARCH_CODE,
                speech=(
                    (teacher, "This function walks through the list with enumerate."),
                    (teacher, "It returns the index as soon as the item matches the target."),
                ),
            ),
            Slide(
                title="Binary search",
                code=BINARY_SEARCH_CODE,
                speech=(
                    (teacher, "Binary search keeps a low and a high index."),
                    (teacher, "It looks at the middle item and throws away half of the list."),
                    (student, "Does the list have to be sorted?"),
                    (teacher, "Yes. Binary search only works on a sorted list."),
                ),
            ),
            Slide(
                title="Summary",
                body=("Linear search works on any list", "Binary search needs sorted items"),
                speech=((teacher, "Use binary search when your items are already sorted."),),
            ),
        ),
    )


RECURSION_CODE = (
    "def factorial(n):\n"
    "    if n == 0:\n"
    "        return 1\n"
    "    return n * factorial(n - 1)\n"
    "\n"
    "print(factorial(5))\n"
)


def revealed(rng: random.Random) -> Lecture:
    """A female lecturer on a dark theme throughout; bullets and a code listing revealed
    in steps, which are builds of one slide, not new slides."""
    teacher = _voice(rng, "lecturer", FEMALE)
    return Lecture(
        title="Recursion",
        slides=(
            Slide(
                title="Recursion",
                body=("Functions that call themselves",),
                dark=True,
                speech=((teacher, "This lesson is about recursion in Python."),),
            ),
            Slide(
                title="Two parts of every recursion",
                body=("A base case that stops", "A recursive case that calls itself"),
                dark=True,
                reveal=(1, 2),
                speech=(
                    (teacher, "Every recursive function needs a base case that stops it."),
                    (teacher, "It also needs a recursive case that calls the function again."),
                ),
            ),
            Slide(
                title="Factorial",
                code=RECURSION_CODE,
                dark=True,
                reveal=(1, 3, 4, 6),
                speech=(
                    (teacher, "We define a function called factorial."),
                    (teacher, "If n is zero, the factorial is one. That is the base case."),
                    (teacher, "Otherwise we multiply n by the factorial of n minus one."),
                    (teacher, "Printing factorial of five shows one hundred and twenty."),
                ),
            ),
            Slide(
                title="Watch the stack",
                body=("Each call waits for the next one", "Deep recursion can hit a limit"),
                dark=True,
                speech=((teacher, "Each call waits for the next one, so the stack grows."),),
            ),
        ),
    )


SQL_CODE = (
    "SELECT name, COUNT(*) AS orders\n"
    "FROM customers\n"
    "JOIN orders ON orders.customer_id = customers.id\n"
    "GROUP BY name\n"
    "ORDER BY orders DESC;\n"
)


def three_voices(rng: random.Random) -> Lecture:
    """A lecturer and two students, alternating themes: who said what is the test."""
    teacher = _voice(rng, "lecturer", MALE)
    first, second = _voice(rng, "student", FEMALE), _voice(rng, "student2", MALE)
    while second.espeak == teacher.espeak:
        second = _voice(rng, "student2", MALE)
    return Lecture(
        title="Joining Tables in SQL",
        slides=(
            Slide(
                title="Joining Tables in SQL",
                body=("Customers and their orders",),
                dark=True,
                speech=((teacher, "In this session we join two tables with SQL."),),
            ),
            Slide(
                title="Counting orders per customer",
                code=SQL_CODE,
                speech=(
                    (teacher, "The join matches each order to the customer who placed it."),
                    (first, "Why do we need the group by line?"),
                    (teacher, "Group by makes one row per customer, so count works per name."),
                    (second, "And what does descending do here?"),
                    (teacher, "It puts the customers with the most orders first."),
                ),
            ),
            Slide(
                title="Keys",
                body=("A primary key names each row", "A foreign key points to another table"),
                dark=True,
                speech=(
                    (teacher, "The customer id in the orders table is a foreign key."),
                    (first, "So every order points to exactly one customer?"),
                    (teacher, "Exactly, and that is what the join follows."),
                ),
            ),
        ),
    )


DICT_CODE = (
    'ages = {"ada": 36, "alan": 41}\n'
    'ages["grace"] = 85\n'
    "for name, age in ages.items():\n"
    '    print(name, "is", age)\n'
)
COUNT_CODE = (
    "from collections import Counter\n"
    "\n"
    'words = "the cat and the hat".split()\n'
    "counts = Counter(words)\n"
    "print(counts.most_common(1))\n"
)


def screencast(rng: random.Random) -> Lecture:
    """A screen-recorded lecture under a course band: code after code, a fast male voice."""
    teacher = _voice(rng, "lecturer", MALE)
    return Lecture(
        title="Dictionaries in Python",
        header="Python Basics - Lesson 7",
        slides=(
            Slide(
                title="Dictionaries in Python",
                body=("Keys, values and counting",),
                speech=((teacher, "Let us look at dictionaries, which map keys to values."),),
            ),
            Slide(
                title="A dictionary of ages",
                code=DICT_CODE,
                speech=(
                    (teacher, "We create a dictionary of ages and add a new key."),
                    (teacher, "The items method gives us each name with its age."),
                ),
            ),
            Slide(
                title="Counting words",
                code=COUNT_CODE,
                speech=(
                    (teacher, "The counter class counts how often each word appears."),
                    (teacher, "Most common with one returns the word that appears most."),
                ),
            ),
            Slide(
                title="Remember",
                body=("Keys are unique", "Looking up a key is fast"),
                speech=((teacher, "Keys are unique, and looking one up is fast."),),
            ),
        ),
    )


# name -> (script, encoding): each a lecture and a way of recording it.
VARIANTS: dict[str, tuple[Callable[[random.Random], Lecture], Encoding]] = {
    "same_layout": (same_layout, Encoding()),
    "revealed": (revealed, Encoding(cursor=True)),
    "three_voices": (three_voices, Encoding()),
    "screencast_vfr": (screencast, Encoding(vfr=True)),
}


def variant(name: str, seed: int = 0) -> tuple[Lecture, Encoding]:
    """The lecture and encoding of variant `name`, voices drawn with `seed`."""
    script, how = VARIANTS[name]
    return script(random.Random(f"{name}:{seed}")), how


def generate_variant(name: str, out_dir: Path, seed: int = 0) -> dict:
    """Write `<name>.mp4` and `<name>.json` into `out_dir`; returns the ground truth."""
    lecture, how = variant(name, seed)
    return generate(out_dir, lecture, name, how, {"variant": name, "seed": seed, **asdict(how)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=list(VARIANTS), help="variants to write")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names:
        truth = generate_variant(name, args.out, args.seed)
        print(f"{args.out / name}.mp4: {truth['duration']:.2f} s, {len(truth['slides'])} slides")


if __name__ == "__main__":
    main()
