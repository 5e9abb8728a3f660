// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QString>

namespace podtap {

/// @brief Makes untrusted text safe to quote in a message: control bytes, NULs and non-ASCII are
/// escaped, and anything longer than @p maxChars is cut with a note of the full length.
QString quoteForMessage(const QString &value, qsizetype maxChars = 64);

/// @p value as one word of a POSIX shell command line: unchanged when it holds only characters no
/// shell treats specially, else in single quotes (a quote inside becomes '\''). For every value
/// that goes into a command podtap suggests running, since names and messages come from the
/// cluster and may hold spaces, quotes or `$(...)`.
QString shellQuote(const QString &value);

/// @p value made safe to print on a terminal: C0 controls (also newline and tab), DEL, C1
/// controls and the bidirectional overrides are written as \xNN / \uNNNN, so text from the
/// cluster cannot move the cursor, recolour, retitle or reorder what podtapctl prints. Everything
/// else, including other non-ASCII text, is kept.
QString escapeForTerminal(const QString &value);

} // namespace podtap
