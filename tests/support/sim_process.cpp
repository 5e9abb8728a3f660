// SPDX-License-Identifier: Apache-2.0
#include "support/sim_process.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>

#include <csignal>
#include <sys/prctl.h>

namespace podtap::test {

SimProcess::SimProcess() = default;

SimProcess::~SimProcess()
{
    stop();
}

bool SimProcess::stop(int timeoutMs)
{
    if (m_process.state() == QProcess::NotRunning) {
        return true;
    }
    m_process.terminate();
    if (m_process.waitForFinished(timeoutMs)) {
        return true;
    }
    m_process.kill();
    m_process.waitForFinished(5000);
    return false;
}

QString SimProcess::kubeconfig() const
{
    return m_dir.filePath(QStringLiteral("kubeconfig"));
}

QString SimProcess::writeFile(const QString &name, const QByteArray &contents) const
{
    const QString path = m_dir.filePath(name);
    QFile file(path);
    if (file.open(QIODevice::WriteOnly)) {
        file.write(contents);
    }
    return path;
}

bool SimProcess::start(const QStringList &args, QString *error)
{
    const QString program = builtExecutable(QStringLiteral("tests/sim/podtap-sim"));
    m_process.setProgram(program);
    m_process.setArguments(QStringList {QStringLiteral("--kubeconfig-out"), kubeconfig()} + args);
    m_process.setProcessChannelMode(QProcess::SeparateChannels);
    // A test that crashes must not leave a rig running: the sim gets SIGTERM and removes it.
    m_process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
    m_process.start();
    if (!m_process.waitForStarted(10000)) {
        *error = QStringLiteral("start %1: %2").arg(program, m_process.errorString());
        return false;
    }
    QByteArray out;
    const QDeadlineTimer deadline(30000);
    while (!out.contains('\n')) {
        if (deadline.hasExpired() || m_process.state() == QProcess::NotRunning) {
            *error = QStringLiteral("podtap-sim did not print `ready <url>`; stdout: %1; stderr: %2")
                         .arg(QString::fromUtf8(out), QString::fromUtf8(m_process.readAllStandardError()));
            return false;
        }
        m_process.waitForReadyRead(200);
        out += m_process.readAllStandardOutput();
    }
    const QByteArray line = out.left(out.indexOf('\n'));
    if (!line.startsWith("ready https://")) {
        *error = QStringLiteral("unexpected first line from podtap-sim: %1").arg(QString::fromUtf8(line));
        return false;
    }
    m_url = QString::fromUtf8(line.mid(6));
    return true;
}

QProcessEnvironment SimProcess::environment() const
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), m_dir.path());
    env.insert(QStringLiteral("KUBECONFIG"), kubeconfig());
    return env;
}

ProcessResult SimProcess::runWithEnv(const QStringList &command, int timeoutMs) const
{
    return run(command, timeoutMs, {}, environment());
}

ProcessResult SimProcess::kubectl(const QStringList &args, int timeoutMs, const QByteArray &input) const
{
    return run(QStringList {QStringLiteral("/usr/bin/kubectl"), QStringLiteral("--kubeconfig"), kubeconfig()} + args,
        timeoutMs, input, environment());
}

std::unique_ptr<QProcess> SimProcess::startKubectl(const QStringList &args) const
{
    auto process = std::make_unique<QProcess>();
    process->setProcessEnvironment(environment());
    process->start(
        QStringLiteral("/usr/bin/kubectl"), QStringList {QStringLiteral("--kubeconfig"), kubeconfig()} + args);
    process->waitForStarted(10000);
    return process;
}

} // namespace podtap::test
