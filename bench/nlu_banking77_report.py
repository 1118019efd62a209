#!/usr/bin/env python3
"""Helper of bench/nlu_banking77 (Python 3 standard library only).

    nlu_banking77_report.py prep DATA_DIR WORK_DIR
        Reads DATA_DIR/{train,test}.csv (header text,category) and writes into WORK_DIR:
          ft_train.txt, ft_test.txt  fastText input: "__label__<category> <text>", the text lower-cased with
                                     the punctuation . ! ? , ' / ( ) set apart by spaces (the preprocessing of
                                     fastText's own supervised tutorial), whitespace runs collapsed;
          test_texts.txt             the 3,080 test texts as given, one a line (whitespace runs collapsed),
                                     for `kefu nlu predict`;
          oos_train.csv              train.csv without the held-out intents (RFC 4180 CSV, text,category);
          oos_intents.txt            the held-out intents: every 8th category in byte order (10 of 77);
          data.json                  counts.

    nlu_banking77_report.py macro_f1 FT_TEST PREDICTIONS
        Prints the accuracy and the macro-F1 of fastText's `predict` output against the labels of FT_TEST.

    nlu_banking77_report.py report WORK_DIR
        Reads what the bench wrote into WORK_DIR (results.txt, commands.txt, the `kefu nlu eval --json`
        outputs, oos_sweep/*.json), prints the readable report and, as its last line, one JSON object.
"""

import csv
import json
import os
import re
import sys

OOS_EVERY = 8  # hold out every 8th category in sorted order: 10 of BANKING77's 77
IN_SCOPE_TOLERANCE = 0.03  # the OOS threshold may cost at most 3 points of in-scope accuracy
EPS = 1e-9


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows or "text" not in rows[0] or "category" not in rows[0]:
        raise SystemExit(f"{path}: expected a CSV with the header text,category")
    return rows


def one_line(text):
    return " ".join(text.split())


def fasttext_text(text):
    text = re.sub(r"([.!?,'/()])", r" \1 ", text.lower())
    return one_line(text)


def prep(data_dir, work):
    train = read_csv(os.path.join(data_dir, "train.csv"))
    test = read_csv(os.path.join(data_dir, "test.csv"))
    categories = sorted({r["category"] for r in train})
    held_out = categories[::OOS_EVERY]
    for name, rows in (("ft_train.txt", train), ("ft_test.txt", test)):
        with open(os.path.join(work, name), "w", encoding="utf-8") as f:
            for r in rows:
                f.write(f"__label__{r['category']} {fasttext_text(r['text'])}\n")
    with open(os.path.join(work, "test_texts.txt"), "w", encoding="utf-8") as f:
        for r in test:
            f.write(one_line(r["text"]) + "\n")
    held = set(held_out)
    oos_train = [r for r in train if r["category"] not in held]
    with open(os.path.join(work, "oos_train.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "category"])
        for r in oos_train:
            w.writerow([r["text"], r["category"]])
    with open(os.path.join(work, "oos_intents.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(held_out) + "\n")
    info = {
        "train": len(train),
        "test": len(test),
        "intents": len(categories),
        "oos_intents": held_out,
        "oos_train": len(oos_train),
        "oos_test_in_scope": sum(r["category"] not in held for r in test),
        "oos_test_out_of_scope": sum(r["category"] in held for r in test),
    }
    with open(os.path.join(work, "data.json"), "w", encoding="utf-8") as f:
        json.dump(info, f)


def macro_f1(truth, predicted):
    labels = sorted(set(truth))
    tp = {l: 0 for l in labels}
    fp = {}
    fn = {}
    for t, p in zip(truth, predicted):
        if t == p:
            tp[t] += 1
        else:
            fp[p] = fp.get(p, 0) + 1
            fn[t] = fn.get(t, 0) + 1
    total = 0.0
    for l in labels:
        prec = tp[l] / (tp[l] + fp.get(l, 0)) if tp[l] + fp.get(l, 0) else 0.0
        rec = tp[l] / (tp[l] + fn.get(l, 0)) if tp[l] + fn.get(l, 0) else 0.0
        total += 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return total / len(labels)


def fasttext_macro_f1(test_path, predictions_path):
    with open(test_path, encoding="utf-8") as f:
        truth = [line.split(" ", 1)[0] for line in f]
    with open(predictions_path, encoding="utf-8") as f:
        predicted = [line.strip() for line in f]
    if len(truth) != len(predicted):
        raise SystemExit(f"{predictions_path}: {len(predicted)} predictions for {len(truth)} test lines")
    accuracy = sum(t == p for t, p in zip(truth, predicted)) / len(truth)
    print(f"{accuracy:.6f} {macro_f1(truth, predicted):.6f}")


# ---- report ----------------------------------------------------------------------------------------------


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_results(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" in line:
                k, v = line.split("=", 1)
                out[k] = v
    return out


def in_scope_accuracy(ev):
    """Share of in-scope test queries predicted as their own intent, from `kefu nlu eval --json`."""
    n = ev["n"]
    oos = ev["out_of_scope"]
    correct = round(ev["accuracy"] * n)
    oos_correct = round(oos["recall"] * oos["support"])
    in_scope = n - oos["support"]
    return (correct - oos_correct) / in_scope if in_scope else 0.0


def oos_point(ev, threshold):
    return {
        "threshold": round(threshold, 4),
        "in_scope_accuracy": round(in_scope_accuracy(ev), 4),
        "recall": round(ev["out_of_scope"]["recall"], 4),
        "precision": round(ev["out_of_scope"]["precision"], 4),
    }


def pct(x):
    return f"{100 * x:.2f}%"


def report(work):
    r = read_results(os.path.join(work, "results.txt"))
    data = load_json(os.path.join(work, "data.json"))
    with open(os.path.join(work, "commands.txt"), encoding="utf-8") as f:
        commands = [c.rstrip("\n") for c in f if c.strip()]
    ev = load_json(os.path.join(work, "kefu_eval.json"))
    ev_model = load_json(os.path.join(work, "kefu_eval_model_threshold.json"))
    n_test = data["test"]

    def f(key):
        return float(r[key])

    kefu = {
        "accuracy": round(ev["accuracy"], 4),
        "macro_f1": round(ev["macro_f1"], 4),
        "train_s": round(f("kefu_train_s"), 2),
        "model_mb": round(f("kefu_model_bytes") / 1e6, 2),
        "predict_qps": round(n_test / f("kefu_predict_s"), 1),
        "predict_s": round(f("kefu_predict_s"), 3),
        "latency_us": {k: round(ev["latency_us"][k], 1) for k in ("p50", "p99", "max")},
        "threshold": round(ev_model["threshold"], 4),
        "accuracy_at_model_threshold": round(ev_model["accuracy"], 4),
    }
    systems = {"kefu": kefu}
    for key in ("fasttext_bigram", "fasttext_subword"):
        systems[key] = {
            "settings": r[f"{key}_settings"],
            "accuracy": round(f(f"{key}_accuracy"), 4),
            "macro_f1": round(f(f"{key}_macro_f1"), 4),
            "p_at_1_fasttext_test": float(r[f"{key}_p_at_1"]),
            "train_s": round(f(f"{key}_train_s"), 2),
            "model_mb": round(f(f"{key}_model_bytes") / 1e6, 2),
            "predict_qps": round(n_test / f(f"{key}_predict_s"), 1),
            "predict_s": round(f(f"{key}_predict_s"), 3),
        }
    ratios = {
        f"kefu_qps_over_{key}": round(kefu["predict_qps"] / systems[key]["predict_qps"], 3)
        for key in ("fasttext_bigram", "fasttext_subword")
    }

    # Out-of-scope: the no-threshold in-scope accuracy, then the largest swept threshold within 3 points.
    oos_none = load_json(os.path.join(work, "oos_eval_none.json"))
    oos_model = load_json(os.path.join(work, "oos_eval_model.json"))
    base = in_scope_accuracy(oos_none)
    sweep_dir = os.path.join(work, "oos_sweep")
    raw = sorted(((float(name[: -len(".json")]), load_json(os.path.join(sweep_dir, name)))
                  for name in os.listdir(sweep_dir) if name.endswith(".json")), key=lambda x: x[0])
    sweep = [oos_point(e, t) for t, e in raw]
    within = [oos_point(e, t) for t, e in raw if in_scope_accuracy(e) >= base - IN_SCOPE_TOLERANCE - EPS]
    chosen = within[-1] if within else None
    out_of_scope = {
        "held_out_intents": data["oos_intents"],
        "train_examples": data["oos_train"],
        "train_s": round(f("oos_train_s"), 2),
        "test_in_scope": data["oos_test_in_scope"],
        "test_out_of_scope": data["oos_test_out_of_scope"],
        "in_scope_accuracy_no_threshold": round(base, 4),
        "at_3_points": chosen,
        "at_model_threshold": oos_point(oos_model, oos_model["threshold"]),
    }
    checks = {
        "kefu_accuracy_at_least_91_5": ev["accuracy"] >= 0.915,
        "kefu_above_fasttext_bigram": ev["accuracy"] > systems["fasttext_bigram"]["accuracy"],
        "kefu_above_fasttext_subword": ev["accuracy"] > systems["fasttext_subword"]["accuracy"],
        "kefu_train_at_most_60_s": f("kefu_train_s") <= 60,
        "kefu_model_under_100_mb": f("kefu_model_bytes") < 100e6,
        "kefu_p99_under_500_us": ev["latency_us"]["p99"] < 500,
        "oos_threshold_found": chosen is not None,
    }
    env = {
        "date": r["date"],
        "cores": int(r["cores"]),
        "cpu": r["cpu"],
        "kefu_commit": r["kefu_commit"],
        "fasttext": r["fasttext_version"],
        "data": r["data"],
        "repeat": int(r["repeat"]),
        "loadavg_start": r["loadavg_start"],
        "loadavg_end": r["loadavg_end"],
    }

    # ---- the readable report ----
    p = print
    p("")
    p("BANKING77 intent classification: Kefu against fastText")
    p("=" * 56)
    p(f"data     {env['data']}: train {data['train']}, test {n_test}, {data['intents']} intents")
    p(f"machine  {env['cores']} cores ({env['cpu']}); load average {env['loadavg_start']} at the start, "
      f"{env['loadavg_end']} at the end")
    p(f"date     {env['date']}")
    p(f"versions kefu {env['kefu_commit']}; fastText {env['fasttext']}")
    p("")
    p(f"{'system':<18} {'accuracy':>9} {'macro-F1':>9} {'train s':>8} {'model MB':>9} {'predict q/s':>12}")
    names = {"kefu": "kefu", "fasttext_bigram": "fastText bigram", "fasttext_subword": "fastText subword"}
    for key, s in systems.items():
        p(f"{names[key]:<18} {pct(s['accuracy']):>9} {pct(s['macro_f1']):>9} {s['train_s']:>8.2f} "
          f"{s['model_mb']:>9.2f} {s['predict_qps']:>12.0f}")
    p("")
    p("fastText bigram:  " + systems["fasttext_bigram"]["settings"])
    p("fastText subword: " + systems["fasttext_subword"]["settings"])
    p("Accuracy is top-1 over all 3,080 test queries with no out-of-scope threshold (fastText has none):")
    p("Kefu's from `kefu nlu eval --threshold 0`; fastText's from its `predict` labels (the same figure as the")
    p("P@1 of `fasttext test`, which prints 3 digits: "
      + ", ".join(f"{systems[k]['p_at_1_fasttext_test']}" for k in ("fasttext_bigram", "fasttext_subword")) + ").")
    p(f"With its own calibrated out-of-scope threshold ({kefu['threshold']:.3f}) Kefu's accuracy is "
      f"{pct(kefu['accuracy_at_model_threshold'])}: answers below it become out_of_scope and count as wrong.")
    p("")
    lat = kefu["latency_us"]
    p(f"Kefu latency per query, in process, one thread (normalise + classify, `kefu nlu eval`): "
      f"p50 {lat['p50']:.0f} us, p99 {lat['p99']:.0f} us, max {lat['max']:.0f} us")
    p(f"Throughput over the same {n_test} queries, best of {env['repeat']} runs, each including process start "
      f"and model load:")
    p(f"  kefu nlu predict   {kefu['predict_s']:.3f} s  {kefu['predict_qps']:.0f} q/s "
      f"(also language detection, entity extraction and a JSON line per query)")
    for key in ("fasttext_bigram", "fasttext_subword"):
        s = systems[key]
        p(f"  fasttext predict   {s['predict_s']:.3f} s  {s['predict_qps']:.0f} q/s ({names[key]}); "
          f"kefu/fastText = {ratios['kefu_qps_over_' + key]:.2f}")
    p("")
    p(f"Out-of-scope: {len(data['oos_intents'])} intents held out of training (every {OOS_EVERY}th category in "
      f"byte order):")
    p("  " + ", ".join(data["oos_intents"]))
    p(f"  Kefu trained on {out_of_scope['train_examples']} examples of {data['intents'] - len(data['oos_intents'])} "
      f"intents in {out_of_scope['train_s']:.1f} s; tested on the full test set: {data['oos_test_in_scope']} "
      f"in-scope and {data['oos_test_out_of_scope']} out-of-scope queries.")
    p(f"  in-scope accuracy with no threshold: {pct(base)}")
    p(f"  {'threshold':>9} {'in-scope acc':>13} {'OOS recall':>11} {'OOS precision':>14}")
    marks = {chosen["threshold"] if chosen else None: "  <- largest within 3 points"}
    shown = [q for q in sweep if round(q["threshold"] * 100) % 5 == 0 or q["threshold"] in marks]
    for q in shown:
        p(f"  {q['threshold']:>9.2f} {pct(q['in_scope_accuracy']):>13} {pct(q['recall']):>11} "
          f"{pct(q['precision']):>14}{marks.get(q['threshold'], '')}")
    if chosen:
        p(f"  At threshold {chosen['threshold']:.2f} in-scope accuracy is {pct(chosen['in_scope_accuracy'])} "
          f"(>= {pct(base)} - 3 points) and out-of-scope recall is {pct(chosen['recall'])}, precision "
          f"{pct(chosen['precision'])}.")
    else:
        p("  No swept threshold keeps in-scope accuracy within 3 points.")
    m = out_of_scope["at_model_threshold"]
    p(f"  The model's own calibrated threshold {m['threshold']:.3f}: in-scope accuracy {pct(m['in_scope_accuracy'])}, "
      f"out-of-scope recall {pct(m['recall'])}, precision {pct(m['precision'])}.")
    p("")
    p("Checks (reported, not enforced):")
    for k, v in checks.items():
        p(f"  {'PASS' if v else 'FAIL'}  {k}")
    p("")
    p("Commands ($W is the run's temporary directory, removed on exit):")
    for c in commands:
        p("  " + c)
    p("")
    result = {
        "bench": "nlu_banking77",
        "kefu": kefu,
        "fasttext_bigram": systems["fasttext_bigram"],
        "fasttext_subword": systems["fasttext_subword"],
        "ratios": ratios,
        "out_of_scope": out_of_scope,
        "checks": checks,
        "env": env,
    }
    print(json.dumps(result, separators=(",", ":")))


def main(argv):
    if len(argv) == 4 and argv[1] == "prep":
        prep(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "macro_f1":
        fasttext_macro_f1(argv[2], argv[3])
    elif len(argv) == 3 and argv[1] == "report":
        report(argv[2])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
