// ascendc_sim: IEEE binary16 `half` and `bfloat16_t` storage types with correct rounding.
// Arithmetic goes through float (implicit conversions); for + - * / a float result rounded once to
// half is the correctly rounded fp16 result (float has >= 2*11+2 significand bits).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace ascendc_sim {

enum class F16Round { RINT, FLOOR, CEIL, ROUND, TRUNC, ODD };

inline float bits_to_float(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
inline uint32_t float_to_bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }

// float -> binary16 bits under a rounding mode (RINT = round to nearest even).
inline uint16_t float_to_half_bits(float f, F16Round mode = F16Round::RINT) {
    uint32_t x = float_to_bits(f);
    uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) {  // inf / nan
        if (ax > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u | ((ax >> 13) & 0x3ffu));
        return static_cast<uint16_t>(sign | 0x7c00u);
    }
    bool neg = sign != 0;
    // Work in units of the smallest subnormal (2^-24): value = ax_val / 2^-24.
    int e = static_cast<int>(ax >> 23);
    uint32_t mant = ax & 0x7fffffu;
    if (e == 0 && mant == 0) return sign;
    uint64_t m = (e == 0) ? mant : (mant | 0x800000u);  // value = m * 2^(e-150) (e>=1), subnormal e=1
    int exp2 = (e == 0 ? 1 : e) - 150;                  // value = m * 2^exp2
    // Target: integer q = value / 2^k where k = max(exp_h - 10, -24), exp_h = floor(log2(value)).
    int lg = 63 - __builtin_clzll(m) + exp2;            // floor(log2(value))
    int k = std::max(lg - 10, -24);
    int shift = k - exp2;                               // >0: drop bits
    uint64_t q, rem = 0, half_ulp = 0;
    bool inexact;
    if (shift <= 0) {
        q = m << (-shift);
        inexact = false;
    } else if (shift >= 64) {
        q = 0; rem = m; inexact = true; half_ulp = 0;
    } else {
        q = m >> shift;
        rem = m & ((1ull << shift) - 1);
        half_ulp = 1ull << (shift - 1);
        inexact = rem != 0;
    }
    if (inexact) {
        bool up = false;
        switch (mode) {
            case F16Round::RINT:
                up = shift < 64 && (rem > half_ulp || (rem == half_ulp && (q & 1)));
                break;
            case F16Round::ROUND: up = shift < 64 && rem >= half_ulp; break;
            case F16Round::TRUNC: up = false; break;
            case F16Round::FLOOR: up = neg; break;
            case F16Round::CEIL: up = !neg; break;
            case F16Round::ODD: q |= 1; break;
        }
        if (up) q += 1;
    }
    // q * 2^k; normalise into half encoding.
    if (q == 0) return sign;
    int qlg = 63 - __builtin_clzll(q);
    int vexp = qlg + k;  // floor(log2(result))
    if (vexp > 15) {
        // overflow: RINT/ROUND -> inf; TRUNC/toward-zero -> max; FLOOR/CEIL depend on sign
        bool to_inf = (mode == F16Round::RINT || mode == F16Round::ROUND) ||
                      (mode == F16Round::CEIL && !neg) || (mode == F16Round::FLOOR && neg);
        return static_cast<uint16_t>(sign | (to_inf ? 0x7c00u : 0x7bffu));
    }
    if (vexp < -14) {  // subnormal: k == -24, q < 1024
        return static_cast<uint16_t>(sign | static_cast<uint16_t>(q));
    }
    // normal: q has 11 significant bits (may be 2^11 after rounding up -> handled by shift)
    uint64_t sig = (qlg > 10) ? (q >> (qlg - 10)) : (q << (10 - qlg));
    uint16_t he = static_cast<uint16_t>(vexp + 15);
    return static_cast<uint16_t>(sign | (he << 10) | (sig & 0x3ffu));
}

inline float half_bits_to_float(uint16_t h) {
    uint32_t sign = (h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu;
    uint32_t m = h & 0x3ffu;
    if (e == 0x1f) return bits_to_float(sign | 0x7f800000u | (m << 13));
    if (e == 0) {
        float v = std::ldexp(static_cast<float>(m), -24);
        return sign ? -v : v;
    }
    return bits_to_float(sign | ((e + 112) << 23) | (m << 13));
}

inline uint16_t float_to_bf16_bits(float f, F16Round mode = F16Round::RINT) {
    uint32_t x = float_to_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);
    uint32_t rem = x & 0xffffu;
    uint32_t q = x >> 16;
    bool neg = (x >> 31) != 0;
    if (rem) {
        bool up = false;
        switch (mode) {
            case F16Round::RINT: up = rem > 0x8000u || (rem == 0x8000u && (q & 1)); break;
            case F16Round::ROUND: up = rem >= 0x8000u; break;
            case F16Round::TRUNC: break;
            case F16Round::FLOOR: up = neg; break;
            case F16Round::CEIL: up = !neg; break;
            case F16Round::ODD: q |= 1; break;
        }
        if (up) q += 1;
    }
    return static_cast<uint16_t>(q);
}

inline float bf16_bits_to_float(uint16_t b) { return bits_to_float(static_cast<uint32_t>(b) << 16); }

}  // namespace ascendc_sim

// 16-bit IEEE float as in Ascend C (`half`). Storage only; converts implicitly to/from float.
struct half {
    uint16_t bits = 0;
    half() = default;
    half(float f) : bits(ascendc_sim::float_to_half_bits(f)) {}
    half(double d) : bits(ascendc_sim::float_to_half_bits(static_cast<float>(d))) {}
    half(int i) : bits(ascendc_sim::float_to_half_bits(static_cast<float>(i))) {}
    half(unsigned i) : bits(ascendc_sim::float_to_half_bits(static_cast<float>(i))) {}
    half(int64_t i) : bits(ascendc_sim::float_to_half_bits(static_cast<float>(i))) {}
    half(uint64_t i) : bits(ascendc_sim::float_to_half_bits(static_cast<float>(i))) {}
    operator float() const { return ascendc_sim::half_bits_to_float(bits); }
    static half from_bits(uint16_t b) { half h; h.bits = b; return h; }
    half& operator+=(float o) { *this = half(float(*this) + o); return *this; }
    half& operator-=(float o) { *this = half(float(*this) - o); return *this; }
    half& operator*=(float o) { *this = half(float(*this) * o); return *this; }
    half& operator/=(float o) { *this = half(float(*this) / o); return *this; }
    half operator-() const { return from_bits(static_cast<uint16_t>(bits ^ 0x8000u)); }
};

// bfloat16 as in Ascend C (`bfloat16_t`).
struct bfloat16_t {
    uint16_t bits = 0;
    bfloat16_t() = default;
    bfloat16_t(float f) : bits(ascendc_sim::float_to_bf16_bits(f)) {}
    bfloat16_t(double d) : bits(ascendc_sim::float_to_bf16_bits(static_cast<float>(d))) {}
    bfloat16_t(int i) : bits(ascendc_sim::float_to_bf16_bits(static_cast<float>(i))) {}
    operator float() const { return ascendc_sim::bf16_bits_to_float(bits); }
    static bfloat16_t from_bits(uint16_t b) { bfloat16_t h; h.bits = b; return h; }
    bfloat16_t operator-() const { return from_bits(static_cast<uint16_t>(bits ^ 0x8000u)); }
};

static_assert(sizeof(half) == 2, "half must be 2 bytes");
static_assert(sizeof(bfloat16_t) == 2, "bfloat16_t must be 2 bytes");
