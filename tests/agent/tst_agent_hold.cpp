// SPDX-License-Identifier: Apache-2.0
#include "support/process.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>

using namespace podtap::test;

namespace {

/// The next JSON line with "event": @p event on @p process's stdout, or an empty object on timeout or exit.
QJsonObject waitForEvent(QProcess &process, const QString &event, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        while (process.canReadLine()) {
            const QJsonObject object = QJsonDocument::fromJson(process.readLine()).object();
            if (object.value(QStringLiteral("event")).toString() == event) {
                return object;
            }
        }
        if (deadline.hasExpired() || (process.state() == QProcess::NotRunning && !process.canReadLine())) {
            return {};
        }
        process.waitForReadyRead(static_cast<int>(qMax<qint64>(1, deadline.remainingTime())));
    }
}

bool writeBeat(const QString &path, int value)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return false;
    }
    file.write(QStringLiteral("podtap.io/session=\"s1\"\npodtap.io/heartbeat=\"%1\"\n").arg(value).toUtf8());
    return true;
}

} // namespace

/// @brief `podtap-agent hold`, the agent pod's process for a stream: ready, then it stops on SIGTERM, a lapsed
/// heartbeat or the deadline, exit 0. It needs no privilege: it touches nothing.
class TestAgentHold final : public QObject
{
    Q_OBJECT

    QString m_agent;

    std::unique_ptr<QProcess> startHold(const QStringList &args)
    {
        auto process = std::make_unique<QProcess>();
        process->start(m_agent, QStringList {QStringLiteral("hold")} + args);
        process->waitForStarted(5000);
        return process;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_agent = builtExecutable(QStringLiteral("netlink-agent/podtap-agent"));
        QVERIFY2(QFile::exists(m_agent), qPrintable(m_agent));
    }

    void readyThenSigterm()
    {
        auto hold = startHold({QStringLiteral("--session"), QStringLiteral("s1")});
        const QJsonObject ready = waitForEvent(*hold, QStringLiteral("ready"), 10000);
        QVERIFY2(!ready.isEmpty(), hold->readAllStandardError().constData());
        QCOMPARE(ready.value(QStringLiteral("command")).toString(), QStringLiteral("hold"));
        QCOMPARE(ready.value(QStringLiteral("version")).toString(), QStringLiteral(PODTAP_EXPECTED_VERSION));
        QCOMPARE(ready.value(QStringLiteral("contract")).toInt(), 2);
        QCOMPARE(ready.value(QStringLiteral("session")).toString(), QStringLiteral("s1"));
        // It idles: still running a while later.
        QVERIFY(!hold->waitForFinished(1500));
        ::kill(static_cast<pid_t>(hold->processId()), SIGTERM);
        const QJsonObject stopped = waitForEvent(*hold, QStringLiteral("stopped"), 10000);
        QCOMPARE(stopped.value(QStringLiteral("reason")).toString(), QStringLiteral("signal"));
        QVERIFY(hold->waitForFinished(10000));
        QCOMPARE(hold->exitStatus(), QProcess::NormalExit);
        QCOMPARE(hold->exitCode(), 0);
    }

    void sigintStopsToo()
    {
        auto hold = startHold({});
        QVERIFY(!waitForEvent(*hold, QStringLiteral("ready"), 10000).isEmpty());
        ::kill(static_cast<pid_t>(hold->processId()), SIGINT);
        QCOMPARE(waitForEvent(*hold, QStringLiteral("stopped"), 10000).value(QStringLiteral("reason")).toString(),
            QStringLiteral("signal"));
        QVERIFY(hold->waitForFinished(10000));
        QCOMPARE(hold->exitCode(), 0);
    }

    void deadline()
    {
        auto hold = startHold({QStringLiteral("--deadline"), QStringLiteral("1")});
        const QJsonObject ready = waitForEvent(*hold, QStringLiteral("ready"), 10000);
        QCOMPARE(ready.value(QStringLiteral("deadline")).toInt(), 1);
        const QJsonObject stopped = waitForEvent(*hold, QStringLiteral("stopped"), 15000);
        QCOMPARE(stopped.value(QStringLiteral("reason")).toString(), QStringLiteral("deadline"));
        QVERIFY(hold->waitForFinished(10000));
        QCOMPARE(hold->exitCode(), 0);
    }

    void heartbeatKeepsItThenLapses()
    {
        QTemporaryDir dir;
        const QString annotations = dir.filePath(QStringLiteral("annotations"));
        QVERIFY(writeBeat(annotations, 0));
        auto hold = startHold({QStringLiteral("--heartbeat-file"), annotations, QStringLiteral("--heartbeat-timeout"),
            QStringLiteral("2")});
        const QJsonObject ready = waitForEvent(*hold, QStringLiteral("ready"), 10000);
        QCOMPARE(ready.value(QStringLiteral("heartbeat_file")).toString(), annotations);
        QCOMPARE(ready.value(QStringLiteral("heartbeat_timeout")).toInt(), 2);
        // A changing heartbeat keeps it for well over the timeout...
        for (int beat = 1; beat <= 10; ++beat) {
            QVERIFY(writeBeat(annotations, beat));
            QVERIFY2(!hold->waitForFinished(500), hold->readAllStandardOutput().constData());
        }
        QVERIFY(hold->state() == QProcess::Running);
        // ...and once it stops changing, the agent stops by itself.
        const QJsonObject stopped = waitForEvent(*hold, QStringLiteral("stopped"), 20000);
        QCOMPARE(stopped.value(QStringLiteral("reason")).toString(), QStringLiteral("heartbeat"));
        QVERIFY(hold->waitForFinished(10000));
        QCOMPARE(hold->exitCode(), 0);
    }

    void missingHeartbeatFileLapsesFromStart()
    {
        QTemporaryDir dir;
        auto hold = startHold({QStringLiteral("--heartbeat-file"), dir.filePath(QStringLiteral("absent")),
            QStringLiteral("--heartbeat-timeout"), QStringLiteral("1")});
        QVERIFY(!waitForEvent(*hold, QStringLiteral("ready"), 10000).isEmpty());
        QCOMPARE(waitForEvent(*hold, QStringLiteral("stopped"), 15000).value(QStringLiteral("reason")).toString(),
            QStringLiteral("heartbeat"));
        QVERIFY(hold->waitForFinished(10000));
        QCOMPARE(hold->exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(TestAgentHold)
#include "tst_agent_hold.moc"
