"""Reference values for CrossModal.ShapesWorld's WorldRandom (xoshiro256** seeded by SplitMix64).

Python integers are exact, so this twin checks the C# generator's 64-bit arithmetic. The printed values are pasted
into tests/CrossModal.ShapesWorld.Tests/WorldTests.cs; rerun with `python3 tests/reference/shapesworld_random.py`.
xoshiro256**: Blackman and Vigna, https://prng.di.unimi.it/xoshiro256starstar.c; SplitMix64: https://prng.di.unimi.it/splitmix64.c
"""

M = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & M
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return state, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M


def xoshiro256starstar(s, n):
    s = list(s)
    out = []
    for _ in range(n):
        result = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 17) & M
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        out.append(result)
    return out


def seeded(seed, n):
    x = seed
    state = []
    for _ in range(4):
        x, v = splitmix64(x)
        state.append(v)
    return xoshiro256starstar(state, n)


if __name__ == "__main__":
    print("state (1, 2, 3, 4):", xoshiro256starstar([1, 2, 3, 4], 4))
    print("seed 42:", [hex(v) for v in seeded(42, 3)])
