// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QString>
#include <QTest>

namespace podtap::test {

/// @brief Why this process cannot run privileged tests, or an empty string when it can.
///
/// Privileged tests need root (CAP_NET_ADMIN and CAP_SYS_ADMIN in the initial namespaces) and the
/// `ip` and `tc` tools.
QString privilegedUnavailableReason();

/// True when PODTAP_REQUIRE_PRIVILEGED=1: a privileged test that cannot run must fail, not skip.
bool privilegedRequired();

/// Moves the calling thread into the named network namespace `/run/netns/NAME` (the rig's workstation, where an
/// operator's machine would be): sockets opened, and threads and processes started, from then on belong to it.
/// False with @p error naming the namespace and the reason.
bool enterNetworkNamespace(const QString &name, QString *error);

} // namespace podtap::test

/// Put at the start of every test function (or initTestCase) that needs root. It skips when the
/// test cannot run here, unless PODTAP_REQUIRE_PRIVILEGED=1 is set: then it fails and says why.
#define PODTAP_REQUIRE_PRIVILEGED()                                                                                    \
    do {                                                                                                               \
        const QString podtapReason = ::podtap::test::privilegedUnavailableReason();                                    \
        if (!podtapReason.isEmpty()) {                                                                                 \
            if (::podtap::test::privilegedRequired()) {                                                                \
                QFAIL(qPrintable(QStringLiteral("PODTAP_REQUIRE_PRIVILEGED=1 but this privileged test cannot run: ") + \
                    podtapReason));                                                                                    \
            }                                                                                                          \
            QSKIP(qPrintable(QStringLiteral("privileged test skipped: ") + podtapReason +                              \
                QStringLiteral(" (set PODTAP_REQUIRE_PRIVILEGED=1 to make this a failure)")));                         \
        }                                                                                                              \
    } while (false)
