// SPDX-License-Identifier: Apache-2.0
#include "common/text_escape.h"

namespace podtap {

QString quoteForMessage(const QString &value, qsizetype maxChars)
{
    QString out;
    out.reserve(qMin(value.size(), maxChars) + 8);
    out += QLatin1Char('"');
    qsizetype shown = 0;
    for (const QChar c : value) {
        if (shown >= maxChars) {
            break;
        }
        const char16_t u = c.unicode();
        if (u == '"' || u == '\\') {
            out += QLatin1Char('\\');
            out += c;
        } else if (u >= 0x20 && u < 0x7f) {
            out += c;
        } else if (u < 0x100) {
            out += QStringLiteral("\\x%1").arg(u, 2, 16, QLatin1Char('0'));
        } else {
            out += QStringLiteral("\\u%1").arg(u, 4, 16, QLatin1Char('0'));
        }
        ++shown;
    }
    out += QLatin1Char('"');
    if (value.size() > maxChars) {
        out += QStringLiteral("… (%1 characters)").arg(value.size());
    }
    return out;
}

} // namespace podtap
