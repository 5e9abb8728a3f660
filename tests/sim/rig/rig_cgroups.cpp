// SPDX-License-Identifier: Apache-2.0
#include "rig_cgroups.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QRegularExpression>
#include <QThread>

#include <algorithm>
#include <csignal>
#include <unistd.h>

namespace podtap::sim {

namespace {

constexpr auto kBasePrefix = "podtap-sim-";

// Every cgroup directory under @p root, deepest first.
QStringList directoriesDeepestFirst(const QString &root)
{
    QStringList directories {root};
    QDirIterator it(root, QDir::Dirs | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        directories << it.next();
    }
    std::sort(directories.begin(), directories.end(),
        [](const QString &a, const QString &b) { return a.count(QLatin1Char('/')) > b.count(QLatin1Char('/')); });
    return directories;
}

bool killAndRemove(const QString &root)
{
    const QStringList directories = directoriesDeepestFirst(root);
    QElapsedTimer timer;
    timer.start();
    for (const QString &directory : directories) {
        while (!QDir().rmdir(directory)) {
            QFile procs(directory + QStringLiteral("/cgroup.procs"));
            bool any = false;
            if (procs.open(QIODevice::ReadOnly)) {
                for (const QByteArray &pid : procs.readAll().split('\n')) {
                    if (const int value = pid.trimmed().toInt(); value > 1) {
                        ::kill(value, SIGKILL);
                        any = true;
                    }
                }
            }
            if ((!any && !QFile::exists(directory)) || timer.elapsed() > 5000) {
                break;
            }
            QThread::msleep(20);
        }
    }
    return !QFile::exists(root);
}

} // namespace

bool isRigAlive(int pid)
{
    // "<pid> (<comm>) <state> ...": a zombie nobody reaped yet is as dead as a missing pid.
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly)) {
        return false;
    }
    const QByteArray text = stat.readAll();
    const qsizetype open = text.indexOf('(');
    const qsizetype close = text.lastIndexOf(')');
    return open > 0 && close > open && text.mid(open + 1, close - open - 1) == "podtap-sim" &&
        text.mid(close + 2, 1) != "Z" && text.mid(close + 2, 1) != "X";
}

RigCgroups::RigCgroups() = default;

RigCgroups::~RigCgroups()
{
    tearDown();
}

QString RigCgroups::findHierarchy()
{
    QFile mounts(QStringLiteral("/proc/self/mounts"));
    if (!mounts.open(QIODevice::ReadOnly)) {
        return {};
    }
    QString v2;
    QString named;
    for (const QByteArray &line : mounts.readAll().split('\n')) {
        const QByteArrayList fields = line.split(' ');
        if (fields.size() < 4) {
            continue;
        }
        if (fields[2] == "cgroup2" && v2.isEmpty()) {
            v2 = QString::fromUtf8(fields[1]);
        } else if (fields[2] == "cgroup" && fields[3].split(',').contains("name=systemd") && named.isEmpty()) {
            named = QString::fromUtf8(fields[1]);
        }
    }
    return v2.isEmpty() ? named : v2;
}

QString RigCgroups::baseOf(qint64 simPid)
{
    const QString hierarchy = findHierarchy();
    return hierarchy.isEmpty() ? QString()
                               : hierarchy + QLatin1Char('/') + QLatin1String(kBasePrefix) + QString::number(simPid);
}

bool RigCgroups::setUp(QString *error)
{
    const QString hierarchy = findHierarchy();
    if (hierarchy.isEmpty()) {
        *error = QStringLiteral(
            "no cgroup v2 or name=systemd hierarchy is mounted, so pod processes cannot sit in container cgroups");
        return false;
    }
    const QString base = baseOf(::getpid());
    if (!QDir().mkpath(base)) {
        *error = QStringLiteral("cannot create the cgroup %1 (is the cgroup hierarchy writable?)").arg(base);
        return false;
    }
    m_base = base;
    return true;
}

QByteArray RigCgroups::containerIdFor(Runtime runtime, const QByteArray &id)
{
    return (runtime == Runtime::CriO ? "cri-o://" : "containerd://") + id;
}

QString RigCgroups::createContainer(
    Runtime runtime, const QByteArray &podUid, const QByteArray &containerId, QString *error)
{
    QString path;
    if (runtime == Runtime::Containerd) {
        path = QStringLiteral("%1/kubepods/besteffort/pod%2/%3")
                   .arg(m_base, QString::fromUtf8(podUid), QString::fromUtf8(containerId));
    } else {
        const QString underscored = QString::fromUtf8(podUid).replace(QLatin1Char('-'), QLatin1Char('_'));
        path =
            QStringLiteral("%1/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod%2.slice/crio-%3.scope")
                .arg(m_base, underscored, QString::fromUtf8(containerId));
    }
    if (m_base.isEmpty() || !QDir().mkpath(path)) {
        *error = QStringLiteral("cannot create the container cgroup %1").arg(path);
        return {};
    }
    return path;
}

void RigCgroups::removeContainer(const QString &directory)
{
    if (m_base.isEmpty() || !directory.startsWith(m_base + QLatin1Char('/'))) {
        return;
    }
    // The container, then the pod's directory if no other container of the pod is left in it.
    if (QDir().rmdir(directory)) {
        QDir().rmdir(directory.left(directory.lastIndexOf(QLatin1Char('/'))));
    }
}

void RigCgroups::tearDown()
{
    if (!m_base.isEmpty()) {
        killAndRemove(m_base);
        m_base.clear();
    }
}

QStringList RigCgroups::removeLeftovers()
{
    QStringList removed;
    const QString hierarchy = findHierarchy();
    if (hierarchy.isEmpty()) {
        return removed;
    }
    static const QRegularExpression name(QStringLiteral("^podtap-sim-(\\d+)$"));
    for (const QString &entry : QDir(hierarchy).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        const QRegularExpressionMatch match = name.match(entry);
        if (match.hasMatch() && !isRigAlive(match.captured(1).toInt()) &&
            killAndRemove(hierarchy + QLatin1Char('/') + entry)) {
            removed << entry;
        }
    }
    return removed;
}

} // namespace podtap::sim
