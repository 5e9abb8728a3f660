// SPDX-License-Identifier: Apache-2.0
#include "receive/local_capture.h"

#include "receive/tunnel_port_registry.h"

#include "common/host_command.h"

#include <QFile>
#include <QProcess>
#include <QTimer>

#include <algorithm>
#include <cstring>
#include <limits>

namespace podtap::receive {

namespace {

constexpr std::uint32_t kEnhancedPacketBlock = 6;

} // namespace

// ---------------------------------------------------------------------------------------------------------------
// PcapngFanout

PcapngFanout::PcapngFanout(QObject *parent)
    : QIODevice(parent)
{
    open(QIODevice::WriteOnly | QIODevice::Unbuffered);
}

PcapngFanout::~PcapngFanout() = default;

int PcapngFanout::addSink(QIODevice *device, qint64 maxPendingBytes)
{
    Sink sink;
    sink.id = m_nextId++;
    sink.device = device;
    sink.maxPending = maxPendingBytes;
    // A sink that joins late first gets what a reader needs to understand the packets that follow.
    if (!m_headerBlocks.isEmpty()) {
        writeTo(sink, m_headerBlocks.constData(), m_headerBlocks.size());
    }
    const int id = sink.id;
    m_sinks.push_back(sink);
    if (m_sinks.back().failed) {
        const QString reason = device->errorString();
        removeSink(id);
        Q_EMIT sinkFailed(id, reason);
    }
    return id;
}

void PcapngFanout::removeSink(int id)
{
    const auto it = std::find_if(m_sinks.begin(), m_sinks.end(), [id](const Sink &s) { return s.id == id; });
    if (it != m_sinks.end()) {
        m_dropsOfRemoved.insert(id, it->drops);
        m_sinks.erase(it);
    }
}

bool PcapngFanout::hasSink(int id) const
{
    return std::any_of(m_sinks.begin(), m_sinks.end(), [id](const Sink &s) { return s.id == id; });
}

quint64 PcapngFanout::sinkDrops(int id) const
{
    for (const Sink &sink : m_sinks) {
        if (sink.id == id) {
            return sink.drops;
        }
    }
    return m_dropsOfRemoved.value(id);
}

qint64 PcapngFanout::readData(char *, qint64)
{
    return -1;
}

bool PcapngFanout::writeTo(Sink &sink, const char *data, qint64 size)
{
    qint64 done = 0;
    while (done < size) {
        const qint64 n = sink.device->write(data + done, size - done);
        if (n <= 0) {
            sink.failed = true;
            return false;
        }
        done += n;
    }
    return true;
}

qint64 PcapngFanout::writeData(const char *data, qint64 size)
{
    const qint64 accepted = size;
    // The writer hands over whole blocks; should one ever be cut between two calls, the rest completes it.
    QByteArray joined;
    if (!m_partial.isEmpty()) {
        joined = m_partial + QByteArray(data, size);
        m_partial.clear();
        data = joined.constData();
        size = joined.size();
    }
    qint64 at = 0;
    while (at < size) {
        if (size - at < 12) {
            m_partial = QByteArray(data + at, size - at);
            break;
        }
        std::uint32_t type = 0;
        std::uint32_t length = 0;
        std::memcpy(&type, data + at, 4);
        std::memcpy(&length, data + at + 4, 4);
        if (length < 12 || length % 4 != 0) {
            // Not a block boundary: pass the rest through unparsed rather than losing it.
            length = std::uint32_t(size - at);
            type = 0;
        } else if (qint64(length) > size - at) {
            m_partial = QByteArray(data + at, size - at);
            break;
        }
        const bool packet = type == kEnhancedPacketBlock;
        if (!packet) {
            m_headerBlocks.append(data + at, length);
        }
        for (Sink &sink : m_sinks) {
            if (sink.failed) {
                continue;
            }
            if (packet && sink.maxPending > 0 && sink.device->bytesToWrite() > sink.maxPending) {
                ++sink.drops;
                ++m_totalDrops;
                continue;
            }
            writeTo(sink, data + at, length);
        }
        at += length;
    }
    // Report failed sinks after the loop: a slot may add or remove sinks.
    QList<QPair<int, QString>> failed;
    for (const Sink &sink : m_sinks) {
        if (sink.failed) {
            failed.append({sink.id, sink.device->errorString()});
        }
    }
    for (const auto &[id, reason] : failed) {
        removeSink(id);
        Q_EMIT sinkFailed(id, reason);
    }
    // Accept everything: one sink failing must not stop the writer feeding the others.
    return accepted;
}

// ---------------------------------------------------------------------------------------------------------------
// LocalCapture

QStringList LocalCapture::viewerCommand(
    Viewer viewer, const CaptureTools &tools, const QStringList &extraArguments, QString *error)
{
    const QString program = viewer == Viewer::Wireshark ? tools.wireshark : tools.tshark;
    if (program.isEmpty()) {
        *error = viewer == Viewer::Wireshark
            ? QStringLiteral("Cannot show the capture in Wireshark: wireshark was not found on PATH or in the usual "
                             "install places. Install Wireshark (e.g. `apt install wireshark`), or write the capture "
                             "to a file with --write FILE.")
            : QStringLiteral("Cannot show the capture with tshark: tshark was not found on PATH or in the usual "
                             "install places. Install it (e.g. `apt install tshark`), or write the capture to a file "
                             "with --write FILE.");
        return {};
    }
    // `-i -` reads pcapng from stdin: no capture rights needed. The NRB names only show with network name
    // resolution on.
    QStringList command {program};
    if (viewer == Viewer::Wireshark) {
        command += {QStringLiteral("-k"), QStringLiteral("-i"), QStringLiteral("-"), QStringLiteral("-o"),
            QStringLiteral("nameres.network_name:TRUE")};
    } else {
        command += {QStringLiteral("-i"), QStringLiteral("-"), QStringLiteral("-o"),
            QStringLiteral("nameres.network_name:TRUE"), QStringLiteral("-l")};
    }
    command += extraArguments;
    return command;
}

LocalCapture::LocalCapture(const Options &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_fanout(new PcapngFanout(this))
    , m_countersTimer(new QTimer(this))
    , m_reachabilityTimer(new QTimer(this))
{
    m_countersTimer->setInterval(std::max(50, m_options.countersIntervalMs));
    connect(m_countersTimer, &QTimer::timeout, this, &LocalCapture::pollCounters);
    m_reachabilityTimer->setSingleShot(true);
    m_reachabilityTimer->setInterval(std::max(0, m_options.reachabilityTimeoutMs));
    connect(m_reachabilityTimer, &QTimer::timeout, this, &LocalCapture::checkReachability);
    connect(m_fanout, &PcapngFanout::sinkFailed, this, [this](int sinkId, const QString &reason) {
        if (sinkId == m_fileSinkId) {
            m_fileSinkId = 0;
            Q_EMIT fileSinkFailed(QStringLiteral("Writing the capture to %1 failed: %2. The capture goes on for the "
                                                 "other outputs; free disk space or choose another file.")
                                      .arg(m_filePath, reason));
            return;
        }
        for (ViewerEntry &viewer : m_viewers) {
            if (viewer.sinkId == sinkId) {
                viewer.sinkId = 0;
                Q_EMIT viewerExited(viewer.id, QStringLiteral("the viewer's pipe refused data: %1").arg(reason));
            }
        }
    });
}

LocalCapture::~LocalCapture()
{
    stop();
}

int LocalCapture::addTarget(const Target &target, QString *error)
{
    if (m_stopped) {
        if (error) {
            *error = QStringLiteral("Cannot capture %1: this capture has stopped; start a new one.")
                         .arg(target.interfaceName);
        }
        return -1;
    }
    TargetEntry entry;
    entry.target = target;
    if (m_running) {
        QString installError;
        if (!installTarget(entry, &installError)) {
            if (error) {
                *error = installError;
            }
            return -1;
        }
        // A viewer reading the pipe learns of the interface now, not with its first packet.
        m_writer->flush();
    }
    m_targets.append(entry);
    return int(m_targets.size()) - 1;
}

bool LocalCapture::installTarget(TargetEntry &entry, QString *error)
{
    const Target &target = entry.target;
    const bool twoVnis = target.egressVni != 0 && target.egressVni != target.ingressVni;
    struct Leg
    {
        std::uint32_t vni;
        PacketDirection direction;
    };
    QList<Leg> legs {{target.ingressVni, twoVnis ? PacketDirection::Inbound : PacketDirection::Unknown}};
    if (twoVnis) {
        legs.append({target.egressVni, PacketDirection::Outbound});
    }
    const auto refused = [&](const Leg &leg, const QString &reason) {
        *error = QStringLiteral("Cannot receive %1 from %2 with VNI %3 on UDP port %4: %5")
                     .arg(target.interfaceName, target.sender.toString())
                     .arg(leg.vni)
                     .arg(m_port)
                     .arg(reason);
        return false;
    };
    // Every route is checked before anything is written: an IDB cannot be taken back out of the stream.
    if (m_receiver) {
        for (const Leg &leg : std::as_const(legs)) {
            QString reason;
            if (!m_receiver->canAddRoute(target.sender, leg.vni, &reason)) {
                return refused(leg, reason);
            }
        }
    }
    PcapngInterface interface;
    interface.name = target.interfaceName;
    interface.description = target.description;
    entry.interfaceId = m_writer->addInterface(interface);
    if (!m_receiver) {
        return true; // a stream: no tunnel routes
    }
    for (const Leg &leg : std::as_const(legs)) {
        TunnelRoute route;
        route.sender = target.sender;
        route.vni = leg.vni;
        route.writer = m_writer;
        route.interfaceId = entry.interfaceId;
        route.direction = leg.direction;
        QString reason;
        const int id = m_receiver->addRoute(route, &reason);
        if (id == 0) {
            // Checked above, on this thread: not expected. The interface stays written, without routes.
            releaseRoutes(entry);
            return refused(leg, reason);
        }
        entry.routeIds.append(id);
    }
    return true;
}

void LocalCapture::releaseRoutes(TargetEntry &entry)
{
    if (!m_receiver) {
        return;
    }
    // A route's counters go with it: keep them with the target first.
    for (const int id : std::as_const(entry.routeIds)) {
        const RouteCounters route = m_receiver->routeCounters(id);
        entry.routesFinal.packets += route.packets;
        entry.routesFinal.bytes += route.bytes;
        entry.routesFinal.drops += route.drops;
        m_receiver->removeRoute(id);
    }
    entry.routeIds.clear();
}

bool LocalCapture::ownsRoute(int routeId) const
{
    return std::any_of(m_targets.cbegin(), m_targets.cend(),
        [routeId](const TargetEntry &entry) { return entry.routeIds.contains(routeId); });
}

bool LocalCapture::removeTarget(int index)
{
    if (!isTargetActive(index)) {
        return false;
    }
    TargetEntry &entry = m_targets[index];
    if (m_receiver) {
        // What arrived before the removal is this target's: write it before its routes go.
        m_receiver->readPending();
    }
    releaseRoutes(entry);
    entry.removed = true;
    return true;
}

bool LocalCapture::isTargetActive(int index) const
{
    return index >= 0 && index < m_targets.size() && !m_targets.at(index).removed;
}

LocalCapture::Counters LocalCapture::targetCounters(int index) const
{
    Counters c;
    if (index < 0 || index >= m_targets.size()) {
        return c;
    }
    const TargetEntry &entry = m_targets.at(index);
    c.packets = entry.routesFinal.packets;
    c.bytes = entry.routesFinal.bytes;
    c.routeDrops = entry.routesFinal.drops;
    if (m_receiver) {
        for (const int id : entry.routeIds) {
            const RouteCounters route = m_receiver->routeCounters(id);
            c.packets += route.packets;
            c.bytes += route.bytes;
            c.routeDrops += route.drops;
        }
    }
    c.streamPackets = entry.streamPackets;
    c.packets += entry.streamPackets;
    c.bytes += entry.streamBytes;
    c.routeDrops += entry.streamWriteDrops;
    c.drops = c.routeDrops;
    return c;
}

bool LocalCapture::addFileSink(const QString &path, QString *error)
{
    if (m_file) {
        *error = QStringLiteral("The capture already goes to %1; one file per session.").arg(m_filePath);
        return false;
    }
    // Unbuffered: the writer already hands over one write per batch, and what it handed over is on disk.
    auto *file = new QFile(path, this);
    if (!file->open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Unbuffered)) {
        *error = QStringLiteral("Cannot write the capture to %1: %2. Choose a file in a directory you can write to.")
                     .arg(path, file->errorString());
        delete file;
        return false;
    }
    m_file = file;
    m_filePath = path;
    m_fileSinkId = m_fanout->addSink(file, 0);
    return true;
}

int LocalCapture::addViewer(const QStringList &command, QString *error)
{
    if (command.isEmpty()) {
        *error = QStringLiteral("No viewer command given.");
        return 0;
    }
    auto *process = new QProcess(this);
    // Output stays readable through viewerProcess(); errors go with it, so a tshark pane shows them.
    process->setProcessChannelMode(QProcess::MergedChannels);
    // Inside a Flatpak the viewer is the host's, started through flatpak-spawn (stdin still carries the capture).
    const HostCommand host = hostCommand(command.first(), command.mid(1));
    process->start(host.program, host.arguments, QIODevice::ReadWrite);
    if (!process->waitForStarted(10000)) {
        *error = QStringLiteral("Cannot start the viewer %1: %2. Check that it is installed and runs from a "
                                "terminal.")
                     .arg(command.first(), process->errorString());
        delete process;
        return 0;
    }
    ViewerEntry viewer;
    viewer.id = m_nextViewerId++;
    viewer.process = process;
    viewer.sinkId = m_fanout->addSink(process, m_options.viewerMaxPendingBytes);
    const int id = viewer.id;
    m_viewers.append(viewer);
    // A viewer the operator closes must not take the file down: it only leaves the sinks.
    connect(process, &QProcess::finished, this, [this, id](int exitCode, QProcess::ExitStatus status) {
        dropViewerSink(id,
            status == QProcess::CrashExit ? QStringLiteral("the viewer crashed")
                                          : QStringLiteral("the viewer exited with code %1").arg(exitCode));
    });
    // Wireshark closes the pipe when the operator stops its capture but stays open: the write fails (EPIPE, no
    // signal) and the viewer only leaves the sinks, instead of buffering for a reader that is gone.
    connect(process, &QProcess::errorOccurred, this, [this, id](QProcess::ProcessError processError) {
        if (processError == QProcess::WriteError) {
            dropViewerSink(id, QStringLiteral("the viewer stopped reading the capture"));
        }
    });
    return id;
}

void LocalCapture::dropViewerSink(int id, const QString &reason)
{
    for (ViewerEntry &viewer : m_viewers) {
        if (viewer.id == id && viewer.sinkId != 0) {
            m_fanout->removeSink(viewer.sinkId);
            viewer.sinkId = 0;
            Q_EMIT viewerExited(id, reason);
        }
    }
}

QProcess *LocalCapture::viewerProcess(int id) const
{
    for (const ViewerEntry &viewer : m_viewers) {
        if (viewer.id == id) {
            return viewer.process;
        }
    }
    return nullptr;
}

bool LocalCapture::start(QString *error)
{
    if (m_running || m_stopped) {
        *error = QStringLiteral("This capture was started already (a capture starts once); create a new one.");
        return false;
    }
    const bool anyTarget =
        std::any_of(m_targets.cbegin(), m_targets.cend(), [](const TargetEntry &entry) { return !entry.removed; });
    if (!anyTarget && !m_options.allowNoTargets) {
        *error = QStringLiteral("Nothing to capture: the session has no tapped pod interface.");
        return false;
    }
    if (m_options.tunnel) {
        QString bindError;
        m_receiver = TunnelPortRegistry::acquire(m_options.receiver, &bindError);
        if (!m_receiver) {
            *error = bindError;
            return false;
        }
        m_port = m_receiver->localPort();
        // A shared port may have dropped for other sessions before: those are not this session's.
        m_receiver->updateKernelDrops();
        m_kernelDropsBase = m_receiver->portCounters().kernelDrops;
    }

    PcapngWriter::Options writerOptions;
    writerOptions.application = m_options.application;
    // The fanout drops per sink instead: a slow viewer must not cost the file its packets.
    writerOptions.maxPendingBytes = std::numeric_limits<qint64>::max() / 2;
    m_writer = std::make_shared<PcapngWriter>(m_fanout, writerOptions);
    m_writer->start();

    for (TargetEntry &entry : m_targets) {
        if (entry.removed) {
            continue; // removed before the start: no interface
        }
        if (!installTarget(entry, error)) {
            // Nothing half-built stays: the routes taken so far, the port, the stream and its sinks go.
            m_running = true;
            stop();
            return false;
        }
    }
    if (!m_pendingNames.isEmpty()) {
        m_writer->addNames(m_pendingNames);
        m_pendingNames.clear();
    }
    m_writer->flush();
    if (m_receiver) {
        connect(m_receiver.get(), &VxlanReceiver::routeActive, this, [this](int routeId) {
            if (ownsRoute(routeId)) {
                onPacketsArrived();
            }
        });
    }
    m_running = true;
    m_countersTimer->start();
    if (m_receiver && m_agentReady && !m_reachabilityTimer->isActive()) {
        // The agent was ready before the port was: its packets get the full time from now.
        m_reachabilityTimer->start();
    }
    return true;
}

void LocalCapture::stop()
{
    if (!m_running) {
        return;
    }
    m_running = false;
    m_countersTimer->stop();
    m_reachabilityTimer->stop();
    releaseTunnel();
    if (m_writer) {
        m_writer->flush();
    }
    m_final = counters();
    m_stopped = true; // counters() answers m_final from here on
    if (m_writer) {
        m_writer->close();
        m_writer.reset();
    }
    if (m_file) {
        m_fanout->removeSink(m_fileSinkId);
        m_fileSinkId = 0;
        m_file->close();
    }
    for (ViewerEntry &viewer : m_viewers) {
        releaseViewer(viewer);
    }
    m_viewers.clear();
    pollCounters();
}

void LocalCapture::releaseTunnel()
{
    m_reachabilityTimer->stop();
    if (!m_receiver) {
        return;
    }
    // Take what is queued now (and the kernel's drop count), then read the routes' last counters before they go.
    m_receiver->readPending();
    const quint64 kernel = m_receiver->portCounters().kernelDrops;
    m_kernelDropsFinal = kernel > m_kernelDropsBase ? kernel - m_kernelDropsBase : 0;
    disconnect(m_receiver.get(), nullptr, this, nullptr);
    for (TargetEntry &entry : m_targets) {
        releaseRoutes(entry);
    }
    // The last session to let go closes the port (the registry only holds weak references).
    m_receiver.reset();
}

bool LocalCapture::writeStreamPacket(
    int targetIndex, std::int64_t timestampNs, PacketDirection direction, const char *data, qsizetype length)
{
    if (!m_running || !m_writer || !isTargetActive(targetIndex) ||
        m_targets.at(targetIndex).interfaceId == kNoInterface) {
        ++m_streamWriteDrops;
        return false;
    }
    TargetEntry &entry = m_targets[targetIndex];
    if (!m_writer->writePacket(entry.interfaceId, timestampNs, direction, data, length)) {
        ++entry.streamWriteDrops;
        return false;
    }
    ++entry.streamPackets;
    entry.streamBytes += quint64(length);
    return true;
}

void LocalCapture::setStreamDrops(int source, quint64 total)
{
    m_streamDropTotals.insert(source, total);
}

void LocalCapture::flushStream()
{
    if (m_writer) {
        m_writer->flush();
    }
}

void LocalCapture::releaseViewer(ViewerEntry &viewer)
{
    if (viewer.sinkId != 0) {
        m_fanout->removeSink(viewer.sinkId);
        viewer.sinkId = 0;
    }
    QProcess *process = viewer.process;
    viewer.process = nullptr;
    if (!process) {
        return;
    }
    disconnect(process, nullptr, this, nullptr);
    if (process->state() == QProcess::NotRunning) {
        process->deleteLater();
        return;
    }
    // End of file on the pipe, after what is still buffered: Wireshark ends the capture and keeps it open; tshark
    // prints the rest and exits. The process must outlive this session (destroying a QProcess kills it), so it is
    // let go and deletes itself when the viewer exits.
    process->closeWriteChannel();
    process->setParent(nullptr);
    connect(process, &QProcess::finished, process, &QObject::deleteLater);
}

void LocalCapture::addNames(const QList<PodAddress> &pods)
{
    if (!m_writer) {
        m_pendingNames += pods;
        return;
    }
    m_writer->addNames(pods);
    m_writer->flush();
}

LocalCapture::Counters LocalCapture::counters() const
{
    if (m_stopped) {
        return m_final;
    }
    Counters c;
    for (int i = 0; i < m_targets.size(); ++i) {
        const Counters target = targetCounters(i);
        c.packets += target.packets;
        c.bytes += target.bytes;
        c.routeDrops += target.routeDrops;
        c.streamPackets += target.streamPackets;
    }
    c.routeDrops += m_streamWriteDrops;
    // The port's kernel drops: live while the tunnel runs, the last count once released.
    c.kernelDrops = m_kernelDropsFinal;
    if (m_receiver) {
        const quint64 kernel = m_receiver->portCounters().kernelDrops;
        c.kernelDrops = kernel > m_kernelDropsBase ? kernel - m_kernelDropsBase : 0;
    }
    for (const quint64 total : m_streamDropTotals) {
        c.streamDrops += total;
    }
    c.drops = c.routeDrops + c.kernelDrops + c.streamDrops;
    c.viewerDrops = m_fanout->totalSinkDrops();
    return c;
}

void LocalCapture::pollCounters()
{
    if (m_receiver) {
        // Drops after the last datagram read are only known by asking the kernel.
        m_receiver->updateKernelDrops();
    }
    const Counters now = counters();
    if (now.packets > 0 && !m_arrived) {
        onPacketsArrived();
    }
    if (now != m_lastEmitted) {
        m_lastEmitted = now;
        Q_EMIT countersChanged(now);
    }
}

void LocalCapture::agentReady()
{
    if (m_agentReady) {
        return;
    }
    m_agentReady = true;
    if (!m_options.tunnel) {
        return; // a stream has no tunnel to check
    }
    if (m_arrived) {
        setReachability(Reachability::Arriving);
        return;
    }
    setReachability(Reachability::Waiting);
    m_reachabilityTimer->start();
}

void LocalCapture::setAgentMirrored(qint64 mirrored)
{
    const qint64 before = m_agentMirrored;
    m_agentMirrored = mirrored;
    // Nothing had been mirrored when the clock ran out; now there is: give these packets the same time to arrive.
    if (m_running && !m_arrived && m_reachability == Reachability::NothingMirrored && mirrored > before &&
        mirrored > 0 && !m_reachabilityTimer->isActive()) {
        setReachability(Reachability::Waiting);
        m_reachabilityTimer->start();
    }
}

void LocalCapture::checkReachability()
{
    if (!m_running || m_arrived) {
        return;
    }
    if (m_agentMirrored <= 0) {
        setReachability(Reachability::NothingMirrored);
        return;
    }
    setReachability(Reachability::NotArriving);
    Q_EMIT reachabilityProblem(reachabilityText(), reachabilityFix());
}

void LocalCapture::onPacketsArrived()
{
    if (m_arrived) {
        return;
    }
    m_arrived = true;
    m_reachabilityTimer->stop();
    const bool wasProblem = m_reachability == Reachability::NotArriving;
    if (m_agentReady) {
        setReachability(Reachability::Arriving);
    }
    if (wasProblem) {
        Q_EMIT reachabilityCleared();
    }
}

void LocalCapture::setReachability(Reachability state)
{
    if (m_reachability == state) {
        return;
    }
    m_reachability = state;
    Q_EMIT reachabilityChanged(state);
}

QString LocalCapture::reachabilityText() const
{
    QStringList senders;
    for (const TargetEntry &entry : m_targets) {
        if (entry.removed) {
            continue;
        }
        const QString s = entry.target.sender.toString();
        if (!senders.contains(s)) {
            senders.append(s);
        }
    }
    const QString local =
        m_options.localAddress.isNull() ? QStringLiteral("this machine") : m_options.localAddress.toString();
    QString text = QStringLiteral("The agent mirrored %1 packets to %2 UDP port %3, but no tunnel packet from %4 "
                                  "arrived here within %5 s.")
                       .arg(m_agentMirrored)
                       .arg(local)
                       .arg(m_port)
                       .arg(senders.join(QStringLiteral(", ")))
                       .arg(m_options.reachabilityTimeoutMs / 1000.0);
    if (m_receiver) {
        // Datagrams from an address no session expects are the mark of NAT rewriting the node's address.
        const PortCounters &port = m_receiver->portCounters();
        if (port.wrongSource > 0) {
            text += QStringLiteral(" The port did receive %1 datagrams from other addresses: a NAT between the "
                                   "nodes and this machine may rewrite the sender's address.")
                        .arg(port.wrongSource);
        }
    }
    return text;
}

QString LocalCapture::reachabilityFix() const
{
    const QString local =
        m_options.localAddress.isNull() ? QStringLiteral("the local address") : m_options.localAddress.toString();
    const auto active =
        std::find_if(m_targets.cbegin(), m_targets.cend(), [](const TargetEntry &entry) { return !entry.removed; });
    const QString node = active == m_targets.cend() ? QStringLiteral("NODE") : active->target.sender.toString();
    return QStringLiteral(
        "Likely causes, most common first:\n"
        "- The nodes cannot route to this machine (NAT or a VPN between them): tap through the API server "
        "instead, or send the tunnel to a node or an address the nodes can reach.\n"
        "- A firewall drops UDP port %1 on the way or on this machine: allow inbound UDP %1 from %2 (for example "
        "`sudo ufw allow proto udp from %2 to any port %1`, or `sudo firewall-cmd --add-port=%1/udp`), also in "
        "any cloud security group.\n"
        "- %3 is the wrong local address (not the one the nodes reach this machine by): check with "
        "`ip route get %2` which address this machine uses towards the node, and tap again with that "
        "address.")
        .arg(m_port)
        .arg(node, local);
}

} // namespace podtap::receive
