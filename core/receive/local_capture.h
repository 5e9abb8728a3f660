// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "capture/capture_tools.h"
#include "capture/pod_hosts_file.h"
#include "receive/pcapng_writer.h"
#include "receive/vxlan_receiver.h"

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QIODevice>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <memory>
#include <vector>

class QFile;
class QProcess;
class QTimer;

namespace podtap::receive {

/// @brief A QIODevice that copies a pcapng stream to several sinks (a file, viewer pipes), each failing and
/// falling behind on its own.
///
/// PcapngWriter hands it whole blocks. A sink whose own write buffer (bytesToWrite()) exceeds its limit loses
/// packet blocks (EPBs) only, counted per sink, so a slow viewer neither stalls nor thins out the file. Every other
/// block (section header, interfaces, names) is kept and also remembered, so a sink added mid-stream first gets
/// them and can read the packets that follow. A sink that fails (a viewer that exited) is dropped; the others go on.
class PcapngFanout final : public QIODevice
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PcapngFanout)

public:
    explicit PcapngFanout(QObject *parent = nullptr);
    ~PcapngFanout() override;

    /// Adds @p device (open for writing, not owned; it must outlive the fanout or be removed first). It gets the
    /// header blocks written so far, then the stream. @p maxPendingBytes: above this many unwritten bytes in the
    /// device, packets are dropped for it (0: never, for a file). Returns the sink id.
    int addSink(QIODevice *device, qint64 maxPendingBytes);
    /// Stops writing to sink @p id (the device is left as it is).
    void removeSink(int id);
    bool hasSink(int id) const;
    qsizetype sinkCount() const { return qsizetype(m_sinks.size()); }
    /// Packet blocks sink @p id did not get because it fell behind (kept after the sink is removed).
    quint64 sinkDrops(int id) const;
    /// Packet blocks dropped for every sink, removed ones included.
    quint64 totalSinkDrops() const { return m_totalDrops; }
    bool isSequential() const override { return true; }

Q_SIGNALS:
    /// Sink @p id refused a write and was removed; @p reason is the device's error.
    void sinkFailed(int id, const QString &reason);

protected:
    qint64 readData(char *data, qint64 maxSize) override;
    qint64 writeData(const char *data, qint64 size) override;

private:
    struct Sink
    {
        int id = 0;
        QIODevice *device = nullptr;
        qint64 maxPending = 0;
        quint64 drops = 0;
        bool failed = false;
    };
    bool writeTo(Sink &sink, const char *data, qint64 size);

    std::vector<Sink> m_sinks;
    QHash<int, quint64> m_dropsOfRemoved;
    QByteArray m_headerBlocks; ///< every non-packet block so far, for sinks that join late
    QByteArray m_partial; ///< the start of a block cut between two writes (the writer normally never cuts one)
    quint64 m_totalDrops = 0;
    int m_nextId = 1;
};

/// @brief One tap session's userspace receiving end: the shared tunnel port, a pcapng stream with one interface
/// per tapped pod interface, and its sinks (a file, Wireshark or tshark through a pipe), counters and a
/// reachability check.
///
/// Configure the targets and sinks, then start(): it acquires the port from TunnelPortRegistry, writes the
/// section header and one IDB per target, and adds routes for each target's sender node: the ingress VNI
/// (direction inbound, or unknown when there is no egress VNI) and the egress VNI (outbound). Targets and sinks
/// may also be added while running (a workload session's pods come and go): a new target's IDB is written
/// mid-stream, and a sink that joins late gets every interface so far. A removed target's routes go, its interface
/// stays. stop() releases the routes and the port, finishes the stream and closes the viewers' pipes (a viewer
/// sees the end of its capture and keeps it); it is idempotent and also done by the destructor. A viewer still
/// running then is left running. Main thread only.
///
/// Reachability: after agentReady(), when no tunnel packet arrives within Options::reachabilityTimeoutMs while the
/// agent reports mirrored packets (setAgentMirrored()), reachabilityProblem() names the likely causes and fixes.
/// When the agent has mirrored nothing yet, that is not a problem (state NothingMirrored); the check runs again
/// once it reports packets. It clears when packets arrive.
class LocalCapture final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LocalCapture)

public:
    /// @brief One tapped pod interface and the tunnel it comes through.
    struct Target
    {
        QString interfaceName; ///< `ns/pod/iface`, the pcapng interface name
        QString description; ///< optional `if_description`
        QHostAddress sender; ///< the sender node's underlay address
        std::uint32_t ingressVni = 0;
        std::uint32_t egressVni = 0; ///< 0: the agent sends both directions on the ingress VNI
    };

    struct Options
    {
        /// The port to receive on (0: any free port, for tests). bindAddress and portable go to VxlanReceiver.
        VxlanReceiver::Options receiver;
        /// The address the agent sends to (its `--remote`), named in reachability messages.
        QHostAddress localAddress;
        int reachabilityTimeoutMs = 5000;
        int countersIntervalMs = 1000;
        /// Unread bytes in a viewer's pipe above which packets are dropped for that viewer.
        qint64 viewerMaxPendingBytes = 16 * 1024 * 1024;
        QString application = QStringLiteral("podtap");
        /// false: no tunnel port at all; the packets come from a stream through the API server
        /// (writeStreamPacket()), and there is no reachability check.
        bool tunnel = true;
        /// true: start() with no target is fine (a workload session whose pods are not Running yet adds them
        /// later); false: it is refused as "nothing to capture".
        bool allowNoTargets = false;
    };

    /// @brief What the console shows for the session (counters()), or for one target (targetCounters()).
    struct Counters
    {
        quint64 packets = 0; ///< frames written to the stream
        quint64 bytes = 0;
        quint64 drops = 0; ///< routeDrops + kernelDrops
        quint64 routeDrops = 0; ///< frames the writer dropped (back-pressure, closed stream)
        quint64 kernelDrops = 0; ///< the port's kernel drops since this session took it (shared by its sessions)
        quint64 viewerDrops = 0; ///< frames a slow viewer did not get (the file still has them)
        /// Of packets and drops: what came through the stream (the agent's ring drops and what the exec client
        /// could not buffer count as drops).
        quint64 streamPackets = 0;
        quint64 streamDrops = 0;
        bool operator==(const Counters &) const = default;
    };

    enum class Reachability {
        NotChecked, ///< before agentReady()
        Waiting, ///< agent ready, no packet yet, the timeout has not passed
        NothingMirrored, ///< the timeout passed without packets, but the agent has mirrored nothing either
        NotArriving, ///< the agent mirrored packets and none arrived: reachabilityProblem() was emitted
        Arriving, ///< tunnel packets arrive
    };
    Q_ENUM(Reachability)

    enum class Viewer { Wireshark, Tshark };

    /// The command that reads pcapng from its stdin: `wireshark -k -i - -o nameres.network_name:TRUE` or
    /// `tshark -i - -o nameres.network_name:TRUE -l`, with the program from @p tools, then @p extraArguments.
    /// Empty with @p error (what is missing and how to get it) when the program was not found.
    static QStringList viewerCommand(
        Viewer viewer, const CaptureTools &tools, const QStringList &extraArguments, QString *error);

    explicit LocalCapture(const Options &options, QObject *parent = nullptr);
    ~LocalCapture() override;

    /// Adds a pod interface to capture and returns its index (0, 1, 2...; never reused, also not after
    /// removeTarget()), which writeStreamPacket(), targetCounters() and removeTarget() take.
    /// Before start(): the target is noted; start() writes its interface and adds its routes.
    /// While running: its interface (IDB) is written mid-stream and its routes added at once. When a route would be
    /// refused (another session, or another target of this one, receives that sender and VNI; a bad sender or VNI)
    /// nothing is added or written: -1 with @p error naming the interface, sender, VNI, port and reason.
    /// After stop(): -1 with @p error.
    int addTarget(const Target &target, QString *error = nullptr);
    /// Stops capturing target @p index: first what is queued on the socket is read (packets that arrived before
    /// are written), then its routes are released, so a later target may take the same sender and VNIs. Its
    /// interface stays in the stream with what it captured, and its counters stay. Its later tunnel packets are
    /// the port's (unrouted: wrong VNI or wrong source, not written); later writeStreamPacket() calls for it are
    /// refused and counted as the session's drops. False for an unknown or already removed index.
    bool removeTarget(int index);
    /// Targets added so far, removed ones included (the next index addTarget() returns).
    int targetCount() const { return int(m_targets.size()); }
    /// True for an index addTarget() returned that removeTarget() has not removed.
    bool isTargetActive(int index) const;
    /// What target @p index wrote to its interface: packets, bytes, routeDrops (frames of its routes or its stream
    /// the writer dropped), drops (= routeDrops: kernel drops belong to the port, viewer drops to the sink) and
    /// streamPackets. Kept after removeTarget() and stop(). Zero for an unknown index.
    Counters targetCounters(int index) const;
    /// Writes the stream to @p path too (created or truncated). Before or after start(). False with @p error
    /// naming the file and the reason when it cannot be opened.
    bool addFileSink(const QString &path, QString *error);
    /// Starts @p command (program first) and feeds the stream to its stdin. Before or after start(). Returns the
    /// viewer's id, or 0 with @p error when it does not start. A viewer that exits is dropped from the sinks
    /// (viewerExited()); the other sinks go on.
    int addViewer(const QStringList &command, QString *error);
    /// The viewer's process (its output, for a tshark pane), or null once it is gone.
    QProcess *viewerProcess(int id) const;

    /// Acquires the port and starts the stream. False with @p error (port, reason, fix) when the port cannot be
    /// bound (nothing was taken: start() may be tried again) or a route is refused (another session receives that
    /// sender and VNI: the capture is stopped, with nothing left held).
    bool start(QString *error);
    /// Releases routes and port, closes file and pipes. Idempotent.
    void stop();
    bool isRunning() const { return m_running; }
    /// The UDP port actually bound (after start()).
    quint16 port() const { return m_port; }

    /// Maps pod IPs to `ns/pod` in the stream (NRB); call again as pods come and go. Before start() the names
    /// are written right after the interfaces.
    void addNames(const QList<PodAddress> &pods);

    /// Gives up the tunnel (routes and port) while the stream, its file and its viewers go on: a session that
    /// switches to the stream through the API server. The tunnel's counters stay in counters(). Idempotent.
    void releaseTunnel();
    bool hasTunnel() const { return m_receiver != nullptr; }
    /// Writes one packet that came through the stream to target @p targetIndex's interface (addTarget()'s index,
    /// also for targets added while running). False when it was dropped (unknown or removed target, not running,
    /// stream closed); it is counted either way.
    bool writeStreamPacket(
        int targetIndex, std::int64_t timestampNs, PacketDirection direction, const char *data, qsizetype length);
    /// Packets lost before they reached this process (the agent's ring drops, bytes the exec client dropped),
    /// counted as drops. @p total is the running total of one source (@p source: any stable key).
    void setStreamDrops(int source, quint64 total);
    /// Hands the packets written by writeStreamPacket() to the sinks; call once per received chunk.
    void flushStream();

    /// Current counters (also emitted by countersChanged() every Options::countersIntervalMs while they change).
    Counters counters() const;

    /// The agent reported `ready`: the reachability clock starts.
    void agentReady();
    /// The agent's running count of mirrored packets (from its `stats`).
    void setAgentMirrored(qint64 mirrored);
    Reachability reachability() const { return m_reachability; }

Q_SIGNALS:
    void countersChanged(const podtap::receive::LocalCapture::Counters &counters);
    /// Mirrored packets do not arrive: @p text says what was seen, @p fix what to do about each likely cause.
    void reachabilityProblem(const QString &text, const QString &fix);
    /// Packets arrive after a reachabilityProblem().
    void reachabilityCleared();
    void reachabilityChanged(podtap::receive::LocalCapture::Reachability state);
    /// A viewer exited or stopped reading its pipe; the other sinks go on. @p reason is human text.
    void viewerExited(int id, const QString &reason);
    /// The file sink refused a write (disk full...): @p error names the file and the reason.
    void fileSinkFailed(const QString &error);

private:
    /// No IDB written for the target (yet): before start(), or removed before start().
    static constexpr std::uint32_t kNoInterface = 0xFFFFFFFF;
    struct TargetEntry
    {
        Target target;
        std::uint32_t interfaceId = kNoInterface;
        QList<int> routeIds; ///< its routes on the receiver while it has them
        bool removed = false;
        RouteCounters routesFinal; ///< what its routes delivered before they were removed
        quint64 streamPackets = 0;
        quint64 streamBytes = 0;
        quint64 streamWriteDrops = 0;
    };
    struct ViewerEntry
    {
        int id = 0;
        int sinkId = 0;
        QProcess *process = nullptr;
    };
    void setReachability(Reachability state);
    void checkReachability();
    void onPacketsArrived();
    void pollCounters();
    void releaseViewer(ViewerEntry &viewer);
    void dropViewerSink(int id, const QString &reason);
    bool installTarget(TargetEntry &entry, QString *error);
    void releaseRoutes(TargetEntry &entry);
    bool ownsRoute(int routeId) const;
    QString reachabilityText() const;
    QString reachabilityFix() const;

    Options m_options;
    QList<TargetEntry> m_targets; ///< by index; removed ones stay, so indexes are never reused
    std::shared_ptr<VxlanReceiver> m_receiver;
    std::shared_ptr<PcapngWriter> m_writer;
    PcapngFanout *m_fanout = nullptr;
    QFile *m_file = nullptr;
    int m_fileSinkId = 0;
    QString m_filePath;
    QList<ViewerEntry> m_viewers;
    int m_nextViewerId = 1;
    quint64 m_kernelDropsFinal = 0; ///< the port's kernel drops for this session when releaseTunnel() let it go
    quint64 m_streamWriteDrops = 0; ///< stream packets for no (active) target
    QHash<int, quint64> m_streamDropTotals;
    QList<PodAddress> m_pendingNames;
    bool m_running = false;
    bool m_stopped = false;
    quint16 m_port = 0;
    quint64 m_kernelDropsBase = 0;
    /// Counters of routes already removed (stop() reads them first), so counters() stays right after stop.
    Counters m_final;
    Counters m_lastEmitted;
    QTimer *m_countersTimer = nullptr;
    QTimer *m_reachabilityTimer = nullptr;
    Reachability m_reachability = Reachability::NotChecked;
    bool m_agentReady = false;
    qint64 m_agentMirrored = 0;
    bool m_arrived = false;
};

} // namespace podtap::receive
