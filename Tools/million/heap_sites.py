"""Live heap bytes per connection by allocation site, from heaptrack's "leaked" stacks
(`heap_hold.py` explains the run): the innermost DEPTH frames that are not the allocator or the
standard library, demangled, summed and divided by N.
    python3 Tools/million/heap_sites.py stacks.txt N [DEPTH]
"""
import sys, subprocess, collections, re
path, n = sys.argv[1], int(sys.argv[2]); depth = int(sys.argv[3]) if len(sys.argv) > 3 else 2
skip = re.compile(r"swift_slowAlloc|swift_allocObject|malloc|calloc|realloc|^\$ss|^\$sS|swift_allocBox|swift_allocEmptyBox|^0x|operator new|_swift_|swift::|__GI_|swift_arrayInit|swift_retain|swift_initStack|ContiguousArrayBuffer|_NativeDictionary|_NativeSet|\$sSD|\$sSh|\$sSa|swift_bridge|_allocateUninitialized|tryReallocateUniquelyReferenced|_copyToNewBuffer")
stacks = collections.Counter()
for line in open(path):
    line = line.rstrip("\n")
    frames_s, _, cost = line.rpartition(" ")
    cost = int(cost)
    if cost == 0: continue
    frames = [f.strip() for f in frames_s.split(";") if f.strip()]
    app = [f for f in frames if not skip.search(f)]
    key = tuple(app[-depth:]) if app else ("?",)
    stacks[key] += cost
names = sorted({f for k in stacks for f in k})
dem = subprocess.run(["swift", "demangle", "--simplified", "--compact"], input="\n".join(names), capture_output=True, text=True).stdout.splitlines()
m = dict(zip(names, dem))
total = sum(stacks.values())
print("total", total, "per conn", round(total / n))
for key, cost in stacks.most_common(45):
    if cost / n < 4: break
    print(f"{cost / n:8.1f}  " + "  <-  ".join(m.get(f, f)[:110] for f in reversed(key)))
