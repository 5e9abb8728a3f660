// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "support/process.h"

#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace podtap::test {

/// @brief A podtap-sim child process for a test: started with a fresh kubeconfig in a temporary
/// directory, killed when the object goes away.
class SimProcess final
{
public:
    SimProcess();
    ~SimProcess();
    SimProcess(const SimProcess &) = delete;
    SimProcess &operator=(const SimProcess &) = delete;

    /// Starts podtap-sim with @p args and waits for its `ready <url>` line; on failure returns
    /// false and sets @p error.
    bool start(const QStringList &args, QString *error);
    QString url() const { return m_url; }
    QString kubeconfig() const;
    /// A scratch directory, also used as HOME for clients so they cache nothing elsewhere.
    QString dir() const { return m_dir.path(); }
    QString writeFile(const QString &name, const QByteArray &contents) const;

    qint64 pid() const { return m_process.processId(); }
    /// SIGTERM, then waits up to @p timeoutMs for the sim to finish (a rig removes itself first);
    /// false if it had to be killed.
    bool stop(int timeoutMs = 20000);

    /// Runs kubectl against the sim (HOME pointed at the scratch directory).
    ProcessResult kubectl(const QStringList &args, int timeoutMs = 30000, const QByteArray &input = {}) const;
    /// A started, not yet finished kubectl (for `get -w`); the caller owns it.
    std::unique_ptr<QProcess> startKubectl(const QStringList &args) const;
    /// Runs any program with the same environment.
    ProcessResult runWithEnv(const QStringList &command, int timeoutMs) const;
    QProcessEnvironment environment() const;

private:
    QTemporaryDir m_dir;
    QProcess m_process;
    QString m_url;
};

} // namespace podtap::test
