// SPDX-License-Identifier: Apache-2.0
#include "tap/agent_event.h"

#include <QTest>

using namespace podtap;

/// @brief The agent's JSON lines become typed events; anything else in a pod log is ignored.
class TestAgentEvent final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readsEachEventType()
    {
        QCOMPARE(parseAgentEvent("{\"event\":\"ready\",\"device\":\"ptap7\"}")->type, AgentEvent::Type::Ready);
        const auto stopped = parseAgentEvent("{\"event\":\"stopped\",\"reason\":\"target-gone\"}");
        QCOMPARE(stopped->type, AgentEvent::Type::Stopped);
        QCOMPARE(stopped->reason, QStringLiteral("target-gone"));
        const auto error = parseAgentEvent("{\"event\":\"error\",\"message\":\"add clsact on eth0: File exists\"}");
        QCOMPARE(error->type, AgentEvent::Type::Error);
        QCOMPARE(error->message, QStringLiteral("add clsact on eth0: File exists"));
        QCOMPARE(parseAgentEvent("{\"event\":\"later-kind\"}")->type, AgentEvent::Type::Other);
    }

    void sumsStatsOverHooks()
    {
        const auto stats =
            parseAgentEvent("{\"event\":\"stats\",\"ingress\":{\"packets\":10,\"bytes\":1000},"
                            "\"egress\":{\"packets\":5,\"bytes\":700},\"vxlan\":{\"tx_dropped\":2,\"tx_errors\":1}}");
        QVERIFY(stats);
        QCOMPARE(stats->stats, (AgentStats {15, 1700, 3}));
        const auto flat = parseAgentEvent("{\"event\":\"stats\",\"packets\":4,\"bytes\":400,\"tx_dropped\":0}");
        QCOMPARE(flat->stats, (AgentStats {4, 400, 0}));
    }

    void streamRingDropsAreDrops()
    {
        // `podtap-agent stream` reports what its AF_PACKET ring lost as ring_drops.
        const auto stats = parseAgentEvent("{\"event\":\"stats\",\"packets\":120,\"bytes\":9000,\"ring_drops\":7,"
                                           "\"kernel_packets\":127,\"pcapng_bytes\":12000}");
        QVERIFY(stats);
        QCOMPARE(stats->stats, (AgentStats {120, 9000, 7}));
        const auto stopped = parseAgentEvent(
            "{\"event\":\"stopped\",\"reason\":\"stdin-closed\",\"packets\":130,\"bytes\":9900,\"ring_drops\":8}");
        QCOMPARE(stopped->stats, (AgentStats {130, 9900, 8}));
    }

    void readsVersionAndContractFromReady()
    {
        const auto ready = parseAgentEvent("{\"event\":\"ready\",\"device\":\"ptap7\",\"version\":\"0.1.0\","
                                           "\"contract\":2}");
        QCOMPARE(ready->version, QStringLiteral("0.1.0"));
        QCOMPARE(ready->contract, 2);
        QCOMPARE(ready->contract, kAgentContract);
        // An agent from before contract 2 says neither: 0, which no console level matches.
        const auto old = parseAgentEvent("{\"event\":\"ready\",\"device\":\"ptap7\"}");
        QCOMPARE(old->version, QString());
        QCOMPARE(old->contract, 0);
        for (const char *bad : {"\"2\"", "2.5", "-2", "1e30", "null"}) {
            const auto odd = parseAgentEvent(QByteArray("{\"event\":\"ready\",\"contract\":") + bad + "}");
            QVERIFY2(odd && odd->contract == 0, bad);
        }
    }

    void readsTheDevicesAndVnisFromReady()
    {
        // With --egress-vni the agent names a second device: egress frames arrive with its VNI.
        const auto both = parseAgentEvent("{\"event\":\"ready\",\"device\":\"ptap7\",\"vni\":7,"
                                          "\"egress_device\":\"ptap7e\",\"egress_vni\":8}");
        QVERIFY(both);
        QCOMPARE(both->device, QStringLiteral("ptap7"));
        QCOMPARE(both->vni, 7u);
        QCOMPARE(both->egressDevice, QStringLiteral("ptap7e"));
        QCOMPARE(both->egressVni, 8u);
        // Without it (kokotap's single VNI) there is no egress device.
        const auto one = parseAgentEvent("{\"event\":\"ready\",\"device\":\"ptap7\",\"vni\":7}");
        QVERIFY(one);
        QCOMPARE(one->vni, 7u);
        QVERIFY(one->egressDevice.isEmpty());
        QCOMPARE(one->egressVni, 0u);
        // A VNI that is no VNI counts as absent.
        for (const char *bad : {"0", "-1", "16777216", "1.5", "\"8\"", "1e300"}) {
            const auto odd = parseAgentEvent(QByteArray("{\"event\":\"ready\",\"egress_vni\":") + bad + "}");
            QVERIFY(odd);
            QCOMPARE(odd->egressVni, 0u);
        }
    }

    void stoppedCarriesTheFinalCounters()
    {
        const auto stopped = parseAgentEvent("{\"event\":\"stopped\",\"reason\":\"signal\",\"device\":\"ptap7\","
                                             "\"ingress_packets\":3,\"ingress_bytes\":300,\"egress_packets\":7,"
                                             "\"egress_bytes\":700,\"packets\":10,\"bytes\":1000,\"tx_errors\":1,"
                                             "\"tx_dropped\":2}");
        QCOMPARE(stopped->type, AgentEvent::Type::Stopped);
        QCOMPARE(stopped->stats, (AgentStats {10, 1000, 3}));
        // An agent from before contract 2: no counters, and none made up.
        QCOMPARE(parseAgentEvent("{\"event\":\"stopped\",\"reason\":\"signal\"}")->stats, AgentStats {});
    }

    void ignoresNoiseAndHostileLines()
    {
        QVERIFY(!parseAgentEvent("podtap-agent: mirroring eth0"));
        QVERIFY(!parseAgentEvent(""));
        QVERIFY(!parseAgentEvent("{"));
        QVERIFY(!parseAgentEvent("{\"event\":42}"));
        QVERIFY(!parseAgentEvent("[\"event\",\"ready\"]"));
        const auto negative = parseAgentEvent("{\"event\":\"stats\",\"packets\":-5,\"bytes\":1e300}");
        QCOMPARE(negative->stats, (AgentStats {0, 0, 0}));
    }
};

QTEST_GUILESS_MAIN(TestAgentEvent)
#include "tst_agent_event.moc"
