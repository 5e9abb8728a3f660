// SPDX-License-Identifier: Apache-2.0
#include "pod_health.h"

#include <array>

namespace podtap::cluster {

namespace {

struct ReasonEntry
{
    const char *reason;
    PodHealth health;
};

// kubectl STATUS values and what they mean for an operator. Prefix matches are listed with a
// trailing ':' (Init:..., ExitCode:..., Signal:...).
constexpr std::array kReasons {
    ReasonEntry {"Running", PodHealth::Running},
    ReasonEntry {"Completed", PodHealth::Completed},
    ReasonEntry {"Succeeded", PodHealth::Completed},
    ReasonEntry {"Terminating", PodHealth::Terminating},
    ReasonEntry {"Pending", PodHealth::Pending},
    ReasonEntry {"ContainerCreating", PodHealth::Pending},
    ReasonEntry {"PodInitializing", PodHealth::Pending},
    ReasonEntry {"SchedulingGated", PodHealth::Pending},
    ReasonEntry {"Init:", PodHealth::Pending}, // Init:0/2 pending; Init:Error etc. are overridden below
    ReasonEntry {"NotReady", PodHealth::NotReady},
    ReasonEntry {"Unknown", PodHealth::Unknown},
    ReasonEntry {"CrashLoopBackOff", PodHealth::Failed},
    ReasonEntry {"Error", PodHealth::Failed},
    ReasonEntry {"Failed", PodHealth::Failed},
    ReasonEntry {"OOMKilled", PodHealth::Failed},
    ReasonEntry {"ImagePullBackOff", PodHealth::Failed},
    ReasonEntry {"ErrImagePull", PodHealth::Failed},
    ReasonEntry {"ErrImageNeverPull", PodHealth::Failed},
    ReasonEntry {"InvalidImageName", PodHealth::Failed},
    ReasonEntry {"CreateContainerConfigError", PodHealth::Failed},
    ReasonEntry {"CreateContainerError", PodHealth::Failed},
    ReasonEntry {"RunContainerError", PodHealth::Failed},
    ReasonEntry {"ContainerCannotRun", PodHealth::Failed},
    ReasonEntry {"Evicted", PodHealth::Failed},
    ReasonEntry {"OutOfcpu", PodHealth::Failed},
    ReasonEntry {"OutOfmemory", PodHealth::Failed},
    ReasonEntry {"NodeAffinity", PodHealth::Failed},
    ReasonEntry {"DeadlineExceeded", PodHealth::Failed},
    ReasonEntry {"UnexpectedAdmissionError", PodHealth::Failed},
    ReasonEntry {"ExitCode:", PodHealth::Failed},
    ReasonEntry {"Signal:", PodHealth::Failed},
};

constexpr std::array kStyles {
    PodHealthStyle {PodHealth::Running, 0x2e7d32, "emblem-ok-symbolic", "Running"},
    PodHealthStyle {PodHealth::NotReady, 0xf9a825, "dialog-warning-symbolic", "Not ready"},
    PodHealthStyle {PodHealth::Pending, 0x1565c0, "content-loading-symbolic", "Pending"},
    PodHealthStyle {PodHealth::Completed, 0x757575, "object-select-symbolic", "Completed"},
    PodHealthStyle {PodHealth::Failed, 0xc62828, "dialog-error-symbolic", "Failed"},
    PodHealthStyle {PodHealth::Terminating, 0x6a1b9a, "process-stop-symbolic", "Terminating"},
    PodHealthStyle {PodHealth::Unknown, 0x9e9e9e, "dialog-question-symbolic", "Unknown"},
};

} // namespace

PodHealth podHealth(const QString &status, int readyContainers, int totalContainers)
{
    if (status.startsWith(QLatin1String("Init:"))) {
        // Init:0/2 is progress; Init:Error, Init:CrashLoopBackOff, Init:ExitCode:1 are failures.
        const QStringView rest = QStringView(status).mid(5);
        const bool progress = !rest.isEmpty() && rest.front().isDigit();
        if (!progress) {
            return podHealth(rest.toString(), readyContainers, totalContainers) == PodHealth::Failed
                ? PodHealth::Failed
                : PodHealth::Pending;
        }
        return PodHealth::Pending;
    }
    for (const ReasonEntry &entry : kReasons) {
        const QLatin1String reason(entry.reason);
        const bool prefix = reason.endsWith(QLatin1Char(':'));
        if (prefix ? status.startsWith(reason) : status == reason) {
            if (entry.health == PodHealth::Running && readyContainers < totalContainers) {
                return PodHealth::NotReady;
            }
            return entry.health;
        }
    }
    // Waiting reasons we do not know (a new kubelet reason) are most often a problem to look at.
    return status.isEmpty() ? PodHealth::Unknown : PodHealth::NotReady;
}

PodHealth podHealth(const PodRow &row)
{
    return podHealth(row.status, row.readyContainers, row.totalContainers);
}

PodHealth podHealth(const PodContainer &container)
{
    switch (container.state) {
    case PodContainer::State::Running:
        return podHealth(QStringLiteral("Running"), container.ready ? 1 : 0, 1);
    case PodContainer::State::Waiting:
        return container.reason.isEmpty() ? PodHealth::Pending : podHealth(container.reason, 0, 1);
    case PodContainer::State::Terminated:
        if (!container.reason.isEmpty()) {
            return podHealth(container.reason, 0, 1);
        }
        return container.exitCode == 0 ? PodHealth::Completed : PodHealth::Failed;
    case PodContainer::State::Unknown:
        break;
    }
    return PodHealth::Pending;
}

const PodHealthStyle &podHealthStyle(PodHealth health)
{
    for (const PodHealthStyle &style : kStyles) {
        if (style.health == health) {
            return style;
        }
    }
    return kStyles.back();
}

} // namespace podtap::cluster
