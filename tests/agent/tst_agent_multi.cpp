// SPDX-License-Identifier: Apache-2.0
#include "agent_rig.h"
#include "support/privileged.h"
#include "support/process.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <functional>
#include <unistd.h>

using namespace podtap::test;

namespace {

constexpr int kPods = 3;
constexpr int kBaseVni = 3100; // pod k mirrors with VNI kBaseVni + k into receiver device rx<k>
const QString kSession = QStringLiteral("multi1");

QString tagOf(int pod)
{
    return QStringLiteral("shop/cart-%1").arg(pod);
}

QString compact(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

QString compact(const QList<QJsonObject> &events)
{
    QStringList lines;
    for (const QJsonObject &event : events) {
        lines << compact(event);
    }
    return lines.join(QLatin1Char('\n'));
}

bool is(const QJsonObject &event, const QString &name, const QString &target = {})
{
    return event.value(QStringLiteral("event")).toString() == name &&
        (target.isNull() || event.value(QStringLiteral("target")).toString() == target);
}

/// Replaces @p path in one rename, as a console's writer (or the kubelet) does: the agent never reads half.
void writeAtomically(const QString &path, const QByteArray &content)
{
    const QString tmp = path + QStringLiteral(".tmp");
    QFile file(tmp);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(file.write(content), content.size());
    file.close();
    QVERIFY(::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(path).constData()) == 0);
}

/// `podtap-agent inspect --netns <ns>`: the podtap filters on eth0 as "hook prio handle hash" lines.
QStringList podtapFilters(const QString &podNs)
{
    const ProcessResult result = run({AgentRig::agentPath(), QStringLiteral("inspect"), QStringLiteral("--netns"),
        QStringLiteral("/var/run/netns/") + podNs});
    QStringList out;
    const QJsonArray filters = QJsonDocument::fromJson(result.out).object().value(QStringLiteral("filters")).toArray();
    for (const QJsonValue &value : filters) {
        const QJsonObject f = value.toObject();
        if (f.value(QStringLiteral("podtap")).toBool() && f.value(QStringLiteral("dev")) == QStringLiteral("eth0")) {
            out << QStringLiteral("%1 %2 %3 %4")
                       .arg(f.value(QStringLiteral("hook")).toString(),
                           QString::number(f.value(QStringLiteral("prio")).toInt()),
                           f.value(QStringLiteral("handle")).toString(),
                           f.value(QStringLiteral("session_hash")).toString());
        }
    }
    out.sort();
    return out;
}

/// The mark podtap puts in a session's filters (FNV-1a 64 of the session key), as inspect prints it.
QString hashOf(const QString &key)
{
    quint64 hash = 1469598103934665603ULL;
    for (const char c : key.toUtf8()) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ULL;
    }
    return QStringLiteral("%1").arg(hash, 16, 16, QLatin1Char('0'));
}

} // namespace

/// @brief One `podtap-agent mirror --targets-file` runs many targets and follows the file: each target is
/// installed, torn down and reported on its own, and nothing of any is left when the agent stops.
class TestAgentMulti final : public QObject
{
    Q_OBJECT

    std::vector<std::unique_ptr<AgentRig>> m_rigs; ///< m_rigs[0] holds the node the agent runs in and the receivers
    std::vector<std::unique_ptr<QProcess>> m_receivers;
    std::unique_ptr<QProcess> m_agent;
    QList<QJsonObject> m_events; ///< every event the agent printed, in order
    QTemporaryDir m_dir;
    QString m_file;
    QStringList m_lines; ///< the targets file, one line per pod (empty: left out)
    bool m_byPid = false; ///< the rigs have their own fake proc roots: select by --pid in the real /proc

    AgentRig &rig(int pod) { return *m_rigs.at(static_cast<std::size_t>(pod - 1)); }

    QString lineFor(int pod, const QString &extra = {})
    {
        AgentRig &r = rig(pod);
        QString selector;
        if (m_byPid) {
            selector = QStringLiteral("--pid %1").arg(r.podPid());
        } else if (pod == 1) {
            selector = QStringLiteral("--container-id containerd://") + r.containerId();
        } else if (pod == 2) {
            selector = QStringLiteral("--pod-uid ") + r.podUid();
        } else {
            selector = QStringLiteral("--pid %1").arg(r.podPid());
        }
        return QStringLiteral("%1 %2 --vni %3%4").arg(tagOf(pod), selector).arg(kBaseVni + pod).arg(extra);
    }

    void writeTargets()
    {
        QStringList lines = {QStringLiteral("# written by tst_agent_multi")};
        for (const QString &line : m_lines) {
            if (!line.isEmpty()) {
                lines << line;
            }
        }
        writeAtomically(m_file, lines.join(QLatin1Char('\n')).toUtf8() + '\n');
    }

    /// Waits for the next event (after those already seen) for which @p match holds.
    QJsonObject waitFor(const std::function<bool(const QJsonObject &)> &match, int timeoutMs = 15000)
    {
        return waitIn(*m_agent, m_events, match, timeoutMs);
    }

    static QJsonObject waitIn(QProcess &agent, QList<QJsonObject> &events,
        const std::function<bool(const QJsonObject &)> &match, int timeoutMs)
    {
        QDeadlineTimer deadline(timeoutMs);
        for (;;) {
            while (agent.canReadLine()) {
                const QJsonObject event = QJsonDocument::fromJson(agent.readLine()).object();
                events << event;
                if (match(event)) {
                    return event;
                }
            }
            if (deadline.hasExpired() || (agent.state() == QProcess::NotRunning && !agent.canReadLine())) {
                return {};
            }
            agent.waitForReadyRead(static_cast<int>(qMax<qint64>(1, deadline.remainingTime())));
        }
    }

    /// Sends UDP from pod @p pod and returns how many packets each receiver device got meanwhile.
    QList<qint64> trafficFrom(int pod)
    {
        QList<qint64> before;
        for (int k = 1; k <= kPods; ++k) {
            before << AgentRig::rxCounter(m_rigs[0]->receiverNs(), QStringLiteral("rx%1").arg(k));
        }
        AgentRig::bashIn(rig(pod).podNs(),
            QStringLiteral("for i in $(seq 20); do echo x > /dev/udp/192.0.2.1/%1; done").arg(5000 + pod));
        QThread::msleep(300); // the tunnel packets are on their way through the receiver's stack
        QList<qint64> delta;
        for (int k = 1; k <= kPods; ++k) {
            delta << AgentRig::rxCounter(m_rigs[0]->receiverNs(), QStringLiteral("rx%1").arg(k)) - before.at(k - 1);
        }
        return delta;
    }

    /// Pod @p pod's mirror delivers to rx<pod> and to no other receiver.
    void verifyMirroredOnlyToItsVni(int pod)
    {
        const QList<qint64> delta = trafficFrom(pod);
        const QString counts = QStringLiteral("pod %1 sent 20 UDP packets; receivers got %2, %3, %4")
                                   .arg(pod)
                                   .arg(delta.at(0))
                                   .arg(delta.at(1))
                                   .arg(delta.at(2));
        QVERIFY2(delta.at(pod - 1) >= 20, qPrintable(counts));
        for (int k = 1; k <= kPods; ++k) {
            QVERIFY2(k == pod || delta.at(k - 1) < 20, qPrintable(counts));
        }
    }

    void verifyPodClean(int pod)
    {
        const QString ns = rig(pod).podNs();
        QVERIFY2(podtapFilters(ns).isEmpty(), qPrintable(podtapFilters(ns).join(QLatin1Char('\n'))));
        for (const QString &hook : {QStringLiteral("ingress"), QStringLiteral("egress")}) {
            QVERIFY2(
                !rig(pod).podFilters(hook).contains(QStringLiteral("cookie")), qPrintable(rig(pod).podFilters(hook)));
        }
        const QByteArray links = mustRun({QStringLiteral("ip"), QStringLiteral("-n"), ns, QStringLiteral("-d"),
            QStringLiteral("link"), QStringLiteral("show")});
        QVERIFY2(!links.contains("vxlan") && !links.contains("podtap"), links.constData());
        const QByteArray qdiscs = mustRun({QStringLiteral("tc"), QStringLiteral("-n"), ns, QStringLiteral("qdisc"),
            QStringLiteral("show"), QStringLiteral("dev"), QStringLiteral("eth0")});
        QVERIFY2(!qdiscs.contains("clsact"), qdiscs.constData());
    }

    /// The last `targets` event's active and ended tags.
    QPair<QStringList, QStringList> lastTargets() const
    {
        for (auto it = m_events.crbegin(); it != m_events.crend(); ++it) {
            if (is(*it, QStringLiteral("targets"))) {
                QStringList active;
                QStringList ended;
                for (const QJsonValue &v : it->value(QStringLiteral("active")).toArray()) {
                    active << v.toString();
                }
                for (const QJsonValue &v : it->value(QStringLiteral("ended")).toArray()) {
                    ended << v.toString();
                }
                return {active, ended};
            }
        }
        return {};
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFileInfo::exists(AgentRig::agentPath()), qPrintable(AgentRig::agentPath()));
        for (int pod = 1; pod <= kPods; ++pod) {
            m_rigs.push_back(std::make_unique<AgentRig>(QStringLiteral("u%1%2").arg(::getpid()).arg(pod)));
            QString error;
            QVERIFY2(m_rigs.back()->setUp(AgentRigOptions {}, &error), qPrintable(error));
            m_byPid = m_byPid || m_rigs.back()->procRoot() != QStringLiteral("/proc");
        }
        for (int pod = 1; pod <= kPods; ++pod) {
            m_receivers.push_back(m_rigs[0]->startReceiver(kBaseVni + pod, QStringLiteral("rx%1").arg(pod)));
            QVERIFY(!AgentRig::waitForEvent(*m_receivers.back(), QStringLiteral("ready"), 10000, nullptr).isEmpty());
        }
        m_file = m_dir.filePath(QStringLiteral("targets"));
    }

    void threeTargetsFromOneFile()
    {
        for (int pod = 1; pod <= kPods; ++pod) {
            m_lines << lineFor(pod);
        }
        writeTargets();
        m_agent = m_rigs[0]->startAgent({QStringLiteral("mirror"), QStringLiteral("--targets-file"), m_file,
            QStringLiteral("--remote"), m_rigs[0]->receiverUnderlayIp(), QStringLiteral("--session"), kSession,
            QStringLiteral("--stats-interval"), QStringLiteral("1")});
        const QJsonObject first = waitFor([](const QJsonObject &e) { return is(e, QStringLiteral("targets")); });
        QVERIFY2(!first.isEmpty(), m_agent->readAllStandardError().constData());
        QCOMPARE(first.value(QStringLiteral("contract")).toInt(), 2);
        QVERIFY(!first.value(QStringLiteral("version")).toString().isEmpty());
        QCOMPARE(first.value(QStringLiteral("active")).toArray().size(), kPods);
        QStringList hashes;
        for (int pod = 1; pod <= kPods; ++pod) {
            const auto ready = std::find_if(m_events.cbegin(), m_events.cend(),
                [&](const QJsonObject &e) { return is(e, QStringLiteral("ready"), tagOf(pod)); });
            QVERIFY2(ready != m_events.cend(), qPrintable(compact(m_events)));
            QCOMPARE(ready->value(QStringLiteral("vni")).toInt(), kBaseVni + pod);
            QCOMPARE(ready->value(QStringLiteral("device")).toString(), QStringLiteral("ptap%1").arg(kBaseVni + pod));
            QCOMPARE(ready->value(QStringLiteral("pid")).toInteger(), rig(pod).podPid());
            QCOMPARE(ready->value(QStringLiteral("session")).toString(), kSession + QLatin1Char('/') + tagOf(pod));
            QCOMPARE(ready->value(QStringLiteral("contract")).toInt(), 2);
            // Each pod's filters carry its own target's session mark, and only that one.
            const QStringList filters = podtapFilters(rig(pod).podNs());
            QCOMPARE(filters.size(), 2);
            const QString hash = hashOf(kSession + QLatin1Char('/') + tagOf(pod));
            for (const QString &filter : filters) {
                QVERIFY2(filter.endsWith(QLatin1Char(' ') + hash), qPrintable(filter + QStringLiteral(" vs ") + hash));
            }
            hashes << hash;
        }
        QCOMPARE(QSet<QString>(hashes.begin(), hashes.end()).size(), kPods);
        for (int pod = 1; pod <= kPods; ++pod) {
            verifyMirroredOnlyToItsVni(pod);
        }
        // stats per target, tagged.
        for (int pod = 1; pod <= kPods; ++pod) {
            QVERIFY2(
                !waitFor([&](const QJsonObject &e) { return is(e, QStringLiteral("stats"), tagOf(pod)); }).isEmpty(),
                qPrintable(compact(m_events)));
        }
    }

    void removingALineTearsDownOnlyThatTarget()
    {
        QVERIFY(m_agent);
        const QStringList before2 = podtapFilters(rig(2).podNs());
        const QStringList before3 = podtapFilters(rig(3).podNs());
        m_lines[0].clear();
        writeTargets();
        const QJsonObject stopped = waitFor([](const QJsonObject &e) { return is(e, QStringLiteral("stopped")); });
        QCOMPARE(stopped.value(QStringLiteral("target")).toString(), tagOf(1));
        QCOMPARE(stopped.value(QStringLiteral("reason")).toString(), QStringLiteral("removed"));
        QVERIFY(stopped.contains(QStringLiteral("packets")) && stopped.contains(QStringLiteral("tx_dropped")));
        QVERIFY2(stopped.value(QStringLiteral("egress_packets")).toInteger() >= 20, qPrintable(compact(stopped)));
        QVERIFY(!waitFor([](const QJsonObject &e) { return is(e, QStringLiteral("targets")); }).isEmpty());
        QCOMPARE(lastTargets().first, (QStringList {tagOf(2), tagOf(3)}));
        verifyPodClean(1);
        // The others' filters are the very same ones (priority, handle, mark), and they still mirror.
        QCOMPARE(podtapFilters(rig(2).podNs()), before2);
        QCOMPARE(podtapFilters(rig(3).podNs()), before3);
        verifyMirroredOnlyToItsVni(2);
        verifyMirroredOnlyToItsVni(3);
        const QList<qint64> none = trafficFrom(1);
        QVERIFY2(none.at(0) == 0, "the removed target's pod is no longer mirrored");
    }

    void addingALineInstallsIt()
    {
        QVERIFY(m_agent);
        const QStringList before2 = podtapFilters(rig(2).podNs());
        m_lines[0] = lineFor(1);
        writeTargets();
        const QJsonObject ready = waitFor([](const QJsonObject &e) { return is(e, QStringLiteral("ready")); });
        QCOMPARE(ready.value(QStringLiteral("target")).toString(), tagOf(1));
        QVERIFY(!waitFor([](const QJsonObject &e) { return is(e, QStringLiteral("targets")); }).isEmpty());
        QCOMPARE(lastTargets().first, (QStringList {tagOf(1), tagOf(2), tagOf(3)}));
        verifyMirroredOnlyToItsVni(1);
        QCOMPARE(podtapFilters(rig(2).podNs()), before2);
    }

    void changingALineReinstallsIt()
    {
        QVERIFY(m_agent);
        const QStringList before3 = podtapFilters(rig(3).podNs());
        m_lines[0] = lineFor(1, QStringLiteral(" --direction ingress"));
        writeTargets();
        const QJsonObject stopped = waitFor([](const QJsonObject &e) { return is(e, QStringLiteral("stopped")); });
        QCOMPARE(stopped.value(QStringLiteral("target")).toString(), tagOf(1));
        QCOMPARE(stopped.value(QStringLiteral("reason")).toString(), QStringLiteral("changed"));
        const QJsonObject ready = waitFor([](const QJsonObject &e) { return is(e, QStringLiteral("ready")); });
        QCOMPARE(ready.value(QStringLiteral("target")).toString(), tagOf(1));
        QCOMPARE(ready.value(QStringLiteral("hooks")).toArray(), QJsonArray {QStringLiteral("ingress")});
        const QStringList filters = podtapFilters(rig(1).podNs());
        QCOMPARE(filters.size(), 1);
        QVERIFY2(filters.first().startsWith(QStringLiteral("ingress ")), qPrintable(filters.first()));
        QCOMPARE(podtapFilters(rig(3).podNs()), before3);
    }

    void badLinesAreErrorsAndTheOthersRun()
    {
        QVERIFY(m_agent);
        const qsizetype seen = m_events.size();
        const QStringList before2 = podtapFilters(rig(2).podNs());
        m_lines << QStringLiteral("shop/bad --pid 1 --vni 0")
                << QStringLiteral("shop/ghost --container-id containerd://0123456789abcdef0123456789abcdef --vni %1")
                       .arg(kBaseVni + 9);
        writeTargets();
        const QJsonObject bad =
            waitFor([](const QJsonObject &e) { return is(e, QStringLiteral("error"), QStringLiteral("shop/bad")); });
        QCOMPARE(bad.value(QStringLiteral("code")).toString(), QStringLiteral("bad-target"));
        QCOMPARE(bad.value(QStringLiteral("line")).toInt(), 5); // the comment line comes first
        const QString message = bad.value(QStringLiteral("message")).toString();
        QVERIFY2(message.contains(QStringLiteral("line 5")) && message.contains(QStringLiteral("shop/bad")) &&
                message.contains(QStringLiteral("--vni 0")) && message.contains(QStringLiteral("1-16777215")),
            qPrintable(message));
        const QJsonObject ghost =
            waitFor([](const QJsonObject &e) { return is(e, QStringLiteral("error"), QStringLiteral("shop/ghost")); });
        QCOMPARE(ghost.value(QStringLiteral("code")).toString(), QStringLiteral("target-not-found"));
        QVERIFY2(ghost.value(QStringLiteral("message")).toString().contains(QStringLiteral("0123456789abcdef")),
            qPrintable(compact(ghost)));
        const QJsonObject failed = waitFor(
            [](const QJsonObject &e) { return is(e, QStringLiteral("stopped"), QStringLiteral("shop/ghost")); });
        QCOMPARE(failed.value(QStringLiteral("reason")).toString(), QStringLiteral("failed"));
        QVERIFY(!waitFor([](const QJsonObject &e) { return is(e, QStringLiteral("targets")); }).isEmpty());
        QCOMPARE(lastTargets().first, (QStringList {tagOf(1), tagOf(2), tagOf(3)}));
        QCOMPARE(lastTargets().second, QStringList {QStringLiteral("shop/ghost")});
        for (qsizetype i = seen; i < m_events.size(); ++i) {
            QVERIFY2(!is(m_events[i], QStringLiteral("stopped")) ||
                    m_events[i].value(QStringLiteral("target")) == QStringLiteral("shop/ghost"),
                qPrintable(compact(m_events[i])));
        }
        QCOMPARE(podtapFilters(rig(2).podNs()), before2);
        verifyMirroredOnlyToItsVni(2);
    }

    void aGoneTargetEndsAlone()
    {
        QVERIFY(m_agent);
        const qsizetype seen = m_events.size();
        rig(3).killPod();
        const QJsonObject stopped = waitFor([](const QJsonObject &e) { return is(e, QStringLiteral("stopped")); });
        QCOMPARE(stopped.value(QStringLiteral("target")).toString(), tagOf(3));
        QCOMPARE(stopped.value(QStringLiteral("reason")).toString(), QStringLiteral("target-gone"));
        QVERIFY(!waitFor([](const QJsonObject &e) { return is(e, QStringLiteral("targets")); }).isEmpty());
        QCOMPARE(lastTargets().first, (QStringList {tagOf(1), tagOf(2)}));
        QCOMPARE(lastTargets().second, (QStringList {tagOf(3), QStringLiteral("shop/ghost")})); // sorted by tag
        for (qsizetype i = seen; i < m_events.size(); ++i) {
            QVERIFY2(
                !is(m_events[i], QStringLiteral("stopped")) || m_events[i].value(QStringLiteral("target")) == tagOf(3),
                qPrintable(compact(m_events[i])));
        }
        verifyMirroredOnlyToItsVni(2);
        verifyPodClean(3);
    }

    void sigtermStopsEveryTargetThenTheAgent()
    {
        QVERIFY(m_agent);
        const qsizetype seen = m_events.size();
        QVERIFY(AgentRig::stop(*m_agent, SIGTERM));
        QCOMPARE(m_agent->exitStatus(), QProcess::NormalExit);
        QCOMPARE(m_agent->exitCode(), 0);
        const QJsonObject last = waitFor([](const QJsonObject &e) {
            return is(e, QStringLiteral("stopped")) && !e.contains(QStringLiteral("target"));
        });
        QCOMPARE(last.value(QStringLiteral("reason")).toString(), QStringLiteral("signal"));
        QCOMPARE(last.value(QStringLiteral("targets")).toInt(), 2);
        QStringList stoppedTargets;
        for (qsizetype i = seen; i < m_events.size() - 1; ++i) {
            if (is(m_events[i], QStringLiteral("stopped"))) {
                QCOMPARE(m_events[i].value(QStringLiteral("reason")).toString(), QStringLiteral("signal"));
                stoppedTargets << m_events[i].value(QStringLiteral("target")).toString();
            }
        }
        QCOMPARE(stoppedTargets, (QStringList {tagOf(1), tagOf(2)}));
        QVERIFY2(is(m_events.last(), QStringLiteral("stopped")), "the agent's own stopped comes last");
        for (int pod = 1; pod <= kPods; ++pod) {
            verifyPodClean(pod);
        }
        const QByteArray nodeLinks = mustRun({QStringLiteral("ip"), QStringLiteral("-n"), m_rigs[0]->nodeNs(),
            QStringLiteral("-d"), QStringLiteral("link"), QStringLiteral("show")});
        QVERIFY2(!nodeLinks.contains("vxlan"), nodeLinks.constData());
        qInfo().noquote() << "events of the multi-target agent:\n" + compact(m_events);
        m_agent.reset();
    }

    void targetsKeyReadsAQuotedMultiLineAnnotation()
    {
        // A downward-API volume as the kubelet lays it out: annotations -> ..data/annotations, ..data -> a
        // timestamped directory swapped in one rename.
        const QString volume = m_dir.filePath(QStringLiteral("podinfo"));
        QVERIFY(QDir().mkpath(volume));
        int generation = 0;
        const auto publish = [&](const QByteArray &content) {
            const QString stamp = QStringLiteral("..2026_12_05_00_00_0%1").arg(++generation);
            QVERIFY(QDir().mkpath(volume + QLatin1Char('/') + stamp));
            QFile file(volume + QLatin1Char('/') + stamp + QStringLiteral("/annotations"));
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(content);
            file.close();
            QFile::remove(volume + QStringLiteral("/..data_tmp"));
            QVERIFY(QFile::link(stamp, volume + QStringLiteral("/..data_tmp")));
            QVERIFY(::rename(QFile::encodeName(volume + QStringLiteral("/..data_tmp")).constData(),
                        QFile::encodeName(volume + QStringLiteral("/..data")).constData()) == 0);
            if (!QFileInfo(volume + QStringLiteral("/annotations")).isSymLink()) {
                QVERIFY(QFile::link(QStringLiteral("..data/annotations"), volume + QStringLiteral("/annotations")));
            }
        };
        // Pod 3 is gone; pods 1 and 2 are in the list, with a quote and a tab (escaped) around them.
        const QString two = lineFor(1) + QStringLiteral("\\n\\t# \\\"both pods\\\"\\n") + lineFor(2);
        publish(QStringLiteral("kubernetes.io/config.seen=\"2026-12-05T00:00:00Z\"\n"
                               "podtap.io/heartbeat=\"1\"\n"
                               "podtap.io/targets=\"%1\"")
                    .arg(two)
                    .toUtf8());
        QList<QJsonObject> events;
        auto agent = m_rigs[0]->startAgent(
            {QStringLiteral("mirror"), QStringLiteral("--targets-file"), volume + QStringLiteral("/annotations"),
                QStringLiteral("--targets-key"), QStringLiteral("podtap.io/targets"),
                QStringLiteral("--heartbeat-file"), volume + QStringLiteral("/annotations"), QStringLiteral("--remote"),
                m_rigs[0]->receiverUnderlayIp(), QStringLiteral("--session"), kSession});
        const QJsonObject targets = waitIn(
            *agent, events, [](const QJsonObject &e) { return is(e, QStringLiteral("targets")); }, 15000);
        QVERIFY2(!targets.isEmpty(), agent->readAllStandardError().constData());
        QCOMPARE(targets.value(QStringLiteral("active")).toArray(), (QJsonArray {tagOf(1), tagOf(2)}));
        for (const QJsonObject &e : events) {
            QVERIFY2(!is(e, QStringLiteral("error")), qPrintable(compact(e)));
        }
        verifyMirroredOnlyToItsVni(1);
        verifyMirroredOnlyToItsVni(2);
        // The console drops pod 2 from the annotation: only its target ends.
        publish(QStringLiteral("podtap.io/heartbeat=\"2\"\npodtap.io/targets=\"%1\"").arg(lineFor(1)).toUtf8());
        const QJsonObject removed = waitIn(
            *agent, events, [](const QJsonObject &e) { return is(e, QStringLiteral("stopped")); }, 15000);
        QCOMPARE(removed.value(QStringLiteral("target")).toString(), tagOf(2));
        QCOMPARE(removed.value(QStringLiteral("reason")).toString(), QStringLiteral("removed"));
        verifyPodClean(2);
        QVERIFY(!podtapFilters(rig(1).podNs()).isEmpty());
        QVERIFY(AgentRig::stop(*agent, SIGTERM));
        const QJsonObject last = waitIn(
            *agent, events,
            [](const QJsonObject &e) {
                return is(e, QStringLiteral("stopped")) && !e.contains(QStringLiteral("target"));
            },
            5000);
        QCOMPARE(last.value(QStringLiteral("targets")).toInt(), 1);
        verifyPodClean(1);
    }

    void aChangedDeviceEndsOnlyItsTarget()
    {
        m_lines = {lineFor(1), lineFor(2)};
        writeTargets();
        QList<QJsonObject> events;
        auto agent = m_rigs[0]->startAgent({QStringLiteral("mirror"), QStringLiteral("--targets-file"), m_file,
            QStringLiteral("--remote"), m_rigs[0]->receiverUnderlayIp(), QStringLiteral("--session"), kSession});
        QVERIFY2(!waitIn(
                     *agent, events, [](const QJsonObject &e) { return is(e, QStringLiteral("targets")); }, 15000)
                      .isEmpty(),
            agent->readAllStandardError().constData());
        const QStringList before2 = podtapFilters(rig(2).podNs());
        // Something in pod 1 with NET_ADMIN sets the tunnel device down: that target ends, pod 2's does not.
        mustRun({QStringLiteral("ip"), QStringLiteral("-n"), rig(1).podNs(), QStringLiteral("link"),
            QStringLiteral("set"), QStringLiteral("ptap%1").arg(kBaseVni + 1), QStringLiteral("down")});
        const QJsonObject error = waitIn(
            *agent, events, [](const QJsonObject &e) { return is(e, QStringLiteral("error")); }, 15000);
        QCOMPARE(error.value(QStringLiteral("target")).toString(), tagOf(1));
        QCOMPARE(error.value(QStringLiteral("code")).toString(), QStringLiteral("device-changed"));
        QVERIFY2(error.value(QStringLiteral("message")).toString().contains(QStringLiteral("set down")),
            qPrintable(compact(error)));
        const QJsonObject stopped = waitIn(
            *agent, events, [](const QJsonObject &e) { return is(e, QStringLiteral("stopped")); }, 15000);
        QCOMPARE(stopped.value(QStringLiteral("target")).toString(), tagOf(1));
        QCOMPARE(stopped.value(QStringLiteral("reason")).toString(), QStringLiteral("device-changed"));
        verifyPodClean(1);
        QCOMPARE(podtapFilters(rig(2).podNs()), before2);
        verifyMirroredOnlyToItsVni(2);
        QVERIFY(AgentRig::stop(*agent, SIGTERM));
        const QJsonObject last = waitIn(
            *agent, events,
            [](const QJsonObject &e) {
                return is(e, QStringLiteral("stopped")) && !e.contains(QStringLiteral("target"));
            },
            5000);
        QCOMPARE(last.value(QStringLiteral("targets")).toInt(), 1);
        verifyPodClean(2);
    }

    void deadlineStopsEveryTarget()
    {
        m_lines = {lineFor(1), lineFor(2)};
        writeTargets();
        QList<QJsonObject> events;
        auto agent = m_rigs[0]->startAgent(
            {QStringLiteral("mirror"), QStringLiteral("--targets-file"), m_file, QStringLiteral("--remote"),
                m_rigs[0]->receiverUnderlayIp(), QStringLiteral("--deadline"), QStringLiteral("2")});
        const QJsonObject last = waitIn(
            *agent, events,
            [](const QJsonObject &e) {
                return is(e, QStringLiteral("stopped")) && !e.contains(QStringLiteral("target"));
            },
            20000);
        QVERIFY2(!last.isEmpty(), qPrintable(compact(events)));
        QCOMPARE(last.value(QStringLiteral("reason")).toString(), QStringLiteral("deadline"));
        QCOMPARE(last.value(QStringLiteral("targets")).toInt(), 2);
        QStringList deadlines;
        for (const QJsonObject &e : events) {
            if (is(e, QStringLiteral("stopped")) && e.contains(QStringLiteral("target"))) {
                QCOMPARE(e.value(QStringLiteral("reason")).toString(), QStringLiteral("deadline"));
                // Without --session each target's key is its device's.
                deadlines << e.value(QStringLiteral("target")).toString();
            }
            if (is(e, QStringLiteral("ready"))) {
                QCOMPARE(e.value(QStringLiteral("session")).toString(),
                    QStringLiteral("name:") + e.value(QStringLiteral("device")).toString());
            }
        }
        QCOMPARE(deadlines, (QStringList {tagOf(1), tagOf(2)}));
        QVERIFY(agent->waitForFinished(5000));
        QCOMPARE(agent->exitCode(), 0);
        verifyPodClean(1);
        verifyPodClean(2);
    }

    void anEmptyListWaitsUntilTheHeartbeatLapses()
    {
        const QString annotations = m_dir.filePath(QStringLiteral("empty-annotations"));
        writeAtomically(annotations, "podtap.io/heartbeat=\"1\"\npodtap.io/targets=\"\"");
        QList<QJsonObject> events;
        auto agent = m_rigs[0]->startAgent({QStringLiteral("mirror"), QStringLiteral("--targets-file"), annotations,
            QStringLiteral("--targets-key"), QStringLiteral("podtap.io/targets"), QStringLiteral("--heartbeat-file"),
            annotations, QStringLiteral("--heartbeat-timeout"), QStringLiteral("2"), QStringLiteral("--remote"),
            m_rigs[0]->receiverUnderlayIp()});
        const QJsonObject targets = waitIn(
            *agent, events, [](const QJsonObject &e) { return is(e, QStringLiteral("targets")); }, 15000);
        QCOMPARE(targets.value(QStringLiteral("active")).toArray(), QJsonArray {});
        QCOMPARE(agent->state(), QProcess::Running); // nothing to do is no reason to end
        const QJsonObject last = waitIn(
            *agent, events, [](const QJsonObject &e) { return is(e, QStringLiteral("stopped")); }, 20000);
        QCOMPARE(last.value(QStringLiteral("reason")).toString(), QStringLiteral("heartbeat"));
        QCOMPARE(last.value(QStringLiteral("targets")).toInt(), 0);
        QVERIFY(!last.contains(QStringLiteral("target")));
        QVERIFY(agent->waitForFinished(5000));
        QCOMPARE(agent->exitCode(), 0);
    }

    void theLongestTagAndSessionStillInstallAndTearDown()
    {
        // 63 bytes of session + '/' + 253 bytes of tag: more than the 255 bytes a device alias holds.
        const QString session = QString(63, QLatin1Char('s'));
        const QString tag = QStringLiteral("ns/") + QString(250, QLatin1Char('p'));
        writeAtomically(
            m_file, (tag + QStringLiteral(" --pid %1 --vni %2").arg(rig(1).podPid()).arg(kBaseVni + 1)).toUtf8());
        QList<QJsonObject> events;
        auto agent = m_rigs[0]->startAgent({QStringLiteral("mirror"), QStringLiteral("--targets-file"), m_file,
            QStringLiteral("--remote"), m_rigs[0]->receiverUnderlayIp(), QStringLiteral("--session"), session});
        const QJsonObject targets = waitIn(
            *agent, events, [](const QJsonObject &e) { return is(e, QStringLiteral("targets")); }, 15000);
        QVERIFY2(targets.value(QStringLiteral("active")).toArray() == QJsonArray {tag}, qPrintable(compact(events)));
        const QStringList filters = podtapFilters(rig(1).podNs());
        QCOMPARE(filters.size(), 2);
        QVERIFY(filters.first().endsWith(hashOf(session + QLatin1Char('/') + tag)));
        verifyMirroredOnlyToItsVni(1);
        QVERIFY(AgentRig::stop(*agent, SIGTERM));
        verifyPodClean(1);
    }

    void cleanupTestCase()
    {
        if (m_agent) {
            AgentRig::stop(*m_agent, SIGTERM);
        }
        for (auto &receiver : m_receivers) {
            AgentRig::stop(*receiver, SIGTERM);
        }
        m_rigs.clear();
    }
};

QTEST_GUILESS_MAIN(TestAgentMulti)
#include "tst_agent_multi.moc"
