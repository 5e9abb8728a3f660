// SPDX-License-Identifier: Apache-2.0
#include "support/privileged.h"

#include <QStandardPaths>

#include <unistd.h>

namespace podtap::test {

QString privilegedUnavailableReason()
{
    if (::geteuid() != 0) {
        return QStringLiteral("it needs root (effective uid is %1); run the test suite as root or with sudo")
            .arg(::geteuid());
    }
    for (const char *tool : {"ip", "tc"}) {
        if (QStandardPaths::findExecutable(QLatin1String(tool)).isEmpty()) {
            return QStringLiteral("'%1' is not on PATH; install iproute2").arg(QLatin1String(tool));
        }
    }
    return {};
}

bool privilegedRequired()
{
    return qEnvironmentVariable("PODTAP_REQUIRE_PRIVILEGED") == QLatin1String("1");
}

} // namespace podtap::test
