// SPDX-License-Identifier: Apache-2.0
#include "common/names.h"

#include <QByteArray>
#include <QRegularExpression>

#include <arpa/inet.h>

namespace podtap {
namespace {

const QRegularExpression &dnsLabelPattern()
{
    static const QRegularExpression re(QStringLiteral("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"));
    return re;
}

} // namespace

bool hasControlOrNul(const QString &text)
{
    for (const QChar c : text) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f) {
            return true;
        }
    }
    return false;
}

bool isDnsLabel(const QString &text)
{
    return !text.isEmpty() && text.size() <= 63 && dnsLabelPattern().match(text).hasMatch();
}

bool isDnsSubdomain(const QString &text)
{
    if (text.isEmpty() || text.size() > 253) {
        return false;
    }
    const auto labels = text.split(QLatin1Char('.'));
    for (const QString &label : labels) {
        if (!isDnsLabel(label)) {
            return false;
        }
    }
    return true;
}

bool isInterfaceName(const QString &text)
{
    const QByteArray bytes = text.toUtf8();
    if (bytes.isEmpty() || bytes.size() > 15 || text == QLatin1String(".") || text == QLatin1String("..")) {
        return false;
    }
    for (const QChar c : text) {
        if (c == QLatin1Char('/') || c == QLatin1Char(':') || c.isSpace() || c.unicode() < 0x20 ||
            c.unicode() == 0x7f) {
            return false;
        }
    }
    return true;
}

bool isIpLiteral(const QString &text)
{
    if (text.isEmpty() || text.size() > 64 || hasControlOrNul(text) || text.contains(QLatin1Char('%'))) {
        return false;
    }
    const QByteArray bytes = text.toLatin1();
    if (bytes != text.toUtf8()) {
        return false; // non-ASCII
    }
    unsigned char buffer[16];
    return inet_pton(AF_INET, bytes.constData(), buffer) == 1 || inet_pton(AF_INET6, bytes.constData(), buffer) == 1;
}

} // namespace podtap
