// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QString>

namespace podtap {

/// Length of a session ID: 36^10 ≈ 3.7e15 values, so random IDs never meet in practice.
inline constexpr qsizetype kSessionIdLength = 10;

/// @brief A fresh random session ID: kSessionIdLength characters of [a-z0-9], from the system CSPRNG.
///
/// It is both a valid label value and a valid DNS-1123 label part, so it can go into pod names,
/// labels and annotations unchanged.
QString generateSessionId();

/// True when @p id has exactly the shape generateSessionId() produces.
bool isValidSessionId(const QString &id);

} // namespace podtap
