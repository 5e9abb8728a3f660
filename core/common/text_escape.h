// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QString>

namespace podtap {

/// @brief Makes untrusted text safe to quote in a message: control bytes, NULs and non-ASCII are
/// escaped, and anything longer than @p maxChars is cut with a note of the full length.
QString quoteForMessage(const QString &value, qsizetype maxChars = 64);

} // namespace podtap
