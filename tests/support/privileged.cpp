// SPDX-License-Identifier: Apache-2.0
#include "support/privileged.h"

#include <QStandardPaths>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

bool enterNetworkNamespace(const QString &name, QString *error)
{
    const QString path = QStringLiteral("/run/netns/") + name;
    const int fd = ::open(qPrintable(path), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *error = QStringLiteral("open %1: %2").arg(path, QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    const bool entered = ::setns(fd, CLONE_NEWNET) == 0;
    const int setnsErrno = errno;
    ::close(fd);
    if (!entered) {
        *error = QStringLiteral("enter the network namespace %1: %2")
                     .arg(name, QString::fromLocal8Bit(std::strerror(setnsErrno)));
    }
    return entered;
}

} // namespace podtap::test
