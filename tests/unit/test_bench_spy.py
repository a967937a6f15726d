"""`python -m bench profile`'s reading of py-spy's speedscope files: own and cumulative time per
function over every thread, in % of samples, and the folded stacks for a flame graph."""

from __future__ import annotations

from bench.spy import folded_text, frame_label, parse_speedscope, report, short_path

SITE = "/work/main/.venv/lib/python3.11/site-packages"
FRAMES = [
    {"name": "run", "file": "/root/.pyenv/versions/3.11.7/lib/python3.11/threading.py", "line": 1},
    {"name": "_poll_once", "file": "/work/main/services/gridplus/kit/consumer.py", "line": 150},
    {"name": "execute", "file": f"{SITE}/sqlalchemy/orm/session.py", "line": 2300},
    {"name": "_poll_once", "file": "/work/main/services/gridplus/kit/consumer.py", "line": 160},
    {"name": "decode", "file": "/work/main/services/gridplus/kit/events.py", "line": 40},
]


def speedscope() -> dict:
    # Two threads; stacks root first, as py-spy writes them; weights are seconds (ignored).
    return {
        "shared": {"frames": FRAMES},
        "profiles": [
            {
                "type": "sampled",
                "samples": [[0, 1, 2], [0, 1, 2], [0, 3, 4]],
                "weights": [0.01] * 3,
            },
            {"type": "sampled", "samples": [[0, 1], []], "weights": [0.01, 0.01]},
        ],
    }


def test_own_and_cumulative_time_add_up_over_threads_and_lines() -> None:
    profile = parse_speedscope(speedscope())

    assert profile.samples == 4  # the empty stack is no sample
    poll = "_poll_once (gridplus/kit/consumer.py)"  # lines 150 and 160 are one function
    assert profile.top("own", 1) == [("execute (sqlalchemy/orm/session.py)", 50.0)]
    assert profile.cumulative[poll] == 4
    assert profile.own[poll] == 1
    assert dict(profile.top("cumulative", 2))[poll] == 100.0


def test_folded_stacks_are_one_line_per_stack_with_its_count() -> None:
    text = folded_text(parse_speedscope(speedscope()))
    poll = "_poll_once (gridplus/kit/consumer.py)"
    assert f"run (stdlib/threading.py);{poll};execute (sqlalchemy/orm/session.py) 2\n" in text
    assert f"run (stdlib/threading.py);{poll} 1\n" in text
    assert len(text.splitlines()) == 3


def test_paths_are_shortened_to_where_the_code_lives() -> None:
    assert short_path(f"{SITE}/grpc/_server.py") == "grpc/_server.py"
    assert short_path("/work/main/services/gridplus/petition/web.py") == "gridplus/petition/web.py"
    stdlib = "/root/.pyenv/versions/3.11.7/lib/python3.11/concurrent/futures/thread.py"
    assert short_path(stdlib) == "stdlib/concurrent/futures/thread.py"
    assert frame_label({"name": "f", "file": "<string>"}) == "f (<string>)"


def test_report_names_the_service_and_both_rankings() -> None:
    lines = report("dispatch", parse_speedscope(speedscope()), count=1)
    assert lines[0] == "-- dispatch: 4 samples, 0.0% waiting --"
    assert lines[1].startswith("  own time by package: sqlalchemy 50.0%, gridplus/kit 50.0%")
    assert lines[2] == "  top 1 by own time:"
    assert lines[3].endswith("execute (sqlalchemy/orm/session.py)")
    assert "50.0%" in lines[3]
    assert lines[4] == "  top 1 by cumulative time:"


def test_waiting_frames_are_counted_apart_and_left_out_of_the_own_ranking() -> None:
    frames = [
        {"name": "Thread.run", "file": "/x/lib/python3.11/threading.py"},
        {"name": "Condition.wait", "file": "/x/lib/python3.11/threading.py"},
        {"name": "execute", "file": f"{SITE}/sqlalchemy/orm/session.py"},
        {"name": "route", "file": "/work/main/services/gridplus/dispatch/handlers/routing.py"},
    ]
    stacks = [[0, 1], [0, 1], [0, 3, 2], [0, 3]]
    profile = parse_speedscope({"shared": {"frames": frames}, "profiles": [{"samples": stacks}]})

    assert profile.waiting == 50.0
    assert [frame for frame, _ in profile.top("own")] == [
        "execute (sqlalchemy/orm/session.py)",
        "route (gridplus/dispatch/handlers/routing.py)",
    ]
    assert profile.by_package() == [
        ("(waiting)", 50.0),
        ("sqlalchemy", 25.0),
        ("gridplus/dispatch", 25.0),
    ]
    # Thread start-up is on every stack: no help in the cumulative ranking.
    assert "Thread.run (stdlib/threading.py)" not in dict(profile.top("cumulative"))
