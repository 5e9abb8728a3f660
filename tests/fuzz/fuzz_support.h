// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace podtap::fuzz {

/// Stops the run when an invariant of the parser under test does not hold: libFuzzer (and the
/// seeded driver) report the abort with the input that caused it.
inline void require(bool condition, const char *invariant)
{
    if (!condition) {
        std::fprintf(stderr, "fuzz invariant violated: %s\n", invariant);
        std::abort();
    }
}

/// The fuzzer's input as a QByteArray (deep copy, so the parser may keep it).
inline QByteArray bytes(const std::uint8_t *data, std::size_t size)
{
    return QByteArray(reinterpret_cast<const char *>(data), qsizetype(size));
}

} // namespace podtap::fuzz
