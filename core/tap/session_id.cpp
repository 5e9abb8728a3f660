// SPDX-License-Identifier: Apache-2.0
#include "tap/session_id.h"

#include <QRandomGenerator>

namespace podtap {

namespace {
constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
constexpr quint32 kAlphabetSize = sizeof(kAlphabet) - 1;
} // namespace

QString generateSessionId()
{
    QString id;
    id.reserve(kSessionIdLength);
    auto *random = QRandomGenerator::system();
    for (qsizetype i = 0; i < kSessionIdLength; ++i) {
        id += QLatin1Char(kAlphabet[random->bounded(kAlphabetSize)]);
    }
    return id;
}

bool isValidSessionId(const QString &id)
{
    if (id.size() != kSessionIdLength) {
        return false;
    }
    for (const QChar c : id) {
        const bool ok =
            (c >= QLatin1Char('a') && c <= QLatin1Char('z')) || (c >= QLatin1Char('0') && c <= QLatin1Char('9'));
        if (!ok) {
            return false;
        }
    }
    return true;
}

} // namespace podtap
