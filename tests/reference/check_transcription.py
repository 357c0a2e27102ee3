import json, os
from reference_tokenizers import Clip, Gpt2, ROOT
g = json.load(open(os.path.join(ROOT, "data", "tokenizers", "tokenizer_golden.json"), encoding="utf-8"))
c, t = Clip(), Gpt2()
for name, tok in (("clip", c), ("gpt2", t)):
    bad = 0
    for case in g[name]["cases"]:
        ids = tok.encode(case["text"])
        if ids != case["ids"] or tok.decode(ids) != case["decoded"]:
            bad += 1; print(name, repr(case["text"]), ids, case["ids"])
    print(name, len(g[name]["cases"]), "cases", bad, "mismatches")
