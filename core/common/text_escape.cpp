// SPDX-License-Identifier: Apache-2.0
#include "common/text_escape.h"

#include <algorithm>

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

QString shellQuote(const QString &value)
{
    if (value.isEmpty()) {
        return QStringLiteral("''");
    }
    bool plain = true;
    for (const QChar c : value) {
        const char16_t u = c.unicode();
        const bool safe = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
            QStringView(u"@%+=:,./-_").contains(c);
        if (!safe) {
            plain = false;
            break;
        }
    }
    if (plain) {
        return value;
    }
    QString quoted = value;
    quoted.replace(QLatin1Char('\''), QLatin1String("'\\''"));
    return QLatin1Char('\'') + quoted + QLatin1Char('\'');
}

QString escapeForTerminal(const QString &value)
{
    const auto needsEscape = [](char16_t u) {
        return u < 0x20 || (u >= 0x7f && u < 0xa0) || (u >= 0x202a && u <= 0x202e) || (u >= 0x2066 && u <= 0x2069);
    };
    if (std::none_of(value.cbegin(), value.cend(), [&](QChar c) { return needsEscape(c.unicode()); })) {
        return value;
    }
    QString out;
    out.reserve(value.size() + 8);
    for (const QChar c : value) {
        const char16_t u = c.unicode();
        if (!needsEscape(u)) {
            out += c;
        } else if (u < 0x100) {
            out += QStringLiteral("\\x%1").arg(u, 2, 16, QLatin1Char('0'));
        } else {
            out += QStringLiteral("\\u%1").arg(u, 4, 16, QLatin1Char('0'));
        }
    }
    return out;
}

} // namespace podtap
