// SPDX-License-Identifier: Apache-2.0
#include "tap_dialog.h"

#include "widgets/plain_text.h"

#include "capture/capture_filter_compiler.h"
#include "console_settings.h"

#include <QButtonGroup>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QVBoxLayout>

namespace podtap::gui {

namespace {

// The settings keep core's spelling for the tools (as `podtapctl tap --capture`), and "file" for
// tshark writing a file.
QString toolKey(TapTool tool)
{
    return tool == TapTool::SaveToFile ? QStringLiteral("file") : captureToolKey(captureOptionsFor(tool, {}).tool);
}

} // namespace

CaptureOptions captureOptionsFor(TapTool tool, const QString &saveFile)
{
    CaptureOptions options;
    switch (tool) {
    case TapTool::Wireshark:
        options.tool = CaptureTool::Wireshark;
        break;
    case TapTool::Tshark:
        options.tool = CaptureTool::Tshark;
        break;
    case TapTool::SaveToFile:
        options.tool = CaptureTool::Tshark;
        options.outputFile = saveFile;
        break;
    case TapTool::None:
        options.tool = CaptureTool::None;
        break;
    }
    return options;
}

TapDialog::TapDialog(const QString &namespaceName, const QString &pod, QWidget *parent)
    : QDialog(parent)
    , m_namespace(namespaceName)
    , m_pod(pod)
{
    setWindowTitle(tr("Tap %1/%2").arg(namespaceName, pod));
    build();
}

TapDialog::TapDialog(const QStringList &pods, QWidget *parent)
    : QDialog(parent)
    , m_pods(pods)
{
    // The shared fields (interface, port, filter, duration, agent) are checked as for one pod: the first.
    const QString first = pods.value(0);
    const qsizetype slash = first.indexOf(QLatin1Char('/'));
    m_namespace = slash > 0 ? first.left(slash) : QString();
    m_pod = slash > 0 ? first.mid(slash + 1) : first;
    setWindowTitle(tr("Tap %1 pods").arg(pods.size()));
    build();
}

QString TapDialog::describePods(const QStringList &pods)
{
    constexpr qsizetype kShown = 6;
    QString names = pods.mid(0, kShown).join(QStringLiteral(", "));
    if (pods.size() > kShown)
        names += tr(" and %1 more").arg(pods.size() - kShown);
    return tr("%1 pods: %2").arg(pods.size()).arg(names);
}

void TapDialog::build()
{
    setObjectName(QStringLiteral("tapDialog"));
    const QString namespaceName = m_namespace;
    const QString pod = m_pod;

    auto *layout = new QVBoxLayout(this);

    m_cleartextNote =
        new QLabel(tr("<b>Note:</b> the mirrored packets travel in a VXLAN tunnel, which is "
                      "<b>cleartext and unauthenticated</b>. Anyone on the path can read them, and the "
                      "receiver accepts any sender that uses the right VNI. Through the API server, they "
                      "travel over its TLS connection, but whoever operates the API server can read them. "
                      "Tap only where that is acceptable. This note is shown once."),
            this);
    m_cleartextNote->setObjectName(QStringLiteral("cleartextNote"));
    m_cleartextNote->setWordWrap(true);
    m_cleartextNote->setFrameShape(QFrame::StyledPanel);
    m_cleartextNote->setMargin(8);
    m_cleartextNote->setVisible(!ConsoleSettings::cleartextNoteShown());
    layout->addWidget(m_cleartextNote);

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    layout->addLayout(form);

    if (isForSeveralPods()) {
        // Pod names are shown literally; the tooltip lists every one.
        QLabel *target = plainLabel(this);
        target->setObjectName(QStringLiteral("podsLabel"));
        target->setText(describePods(m_pods));
        target->setWordWrap(true);
        target->setToolTip(plainToolTip(m_pods.join(QLatin1Char('\n'))));
        target->setTextInteractionFlags(Qt::TextSelectableByMouse);
        form->addRow(tr("Pods:"), target);
        m_notRunning = plainLabel(this);
        m_notRunning->setObjectName(QStringLiteral("podsNotRunning"));
        m_notRunning->setWordWrap(true);
        m_notRunning->setEnabled(false);
        m_notRunning->hide();
        form->addRow(QString(), m_notRunning);
    } else {
        auto *target = new QLabel(
            QStringLiteral("<b>%1</b> / <b>%2</b>").arg(namespaceName.toHtmlEscaped(), pod.toHtmlEscaped()), this);
        target->setTextInteractionFlags(Qt::TextSelectableByMouse);
        form->addRow(tr("Pod:"), target);
    }

    m_interface = new QComboBox(this);
    m_interface->setObjectName(QStringLiteral("interface"));
    form->addRow(tr("&Interface:"), m_interface);

    m_direction = new QComboBox(this);
    m_direction->setObjectName(QStringLiteral("direction"));
    m_direction->addItem(tr("Both directions"), QStringLiteral("both"));
    m_direction->addItem(tr("Ingress (into the pod)"), QStringLiteral("ingress"));
    m_direction->addItem(tr("Egress (out of the pod)"), QStringLiteral("egress"));
    form->addRow(tr("&Direction:"), m_direction);

    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("captureFilter"));
    m_filter->setPlaceholderText(tr("everything (capture filter, e.g. tcp port 443)"));
    m_filter->setClearButtonEnabled(true);
    m_filterStatus = new QLabel(this);
    m_filterStatus->setObjectName(QStringLiteral("filterStatus"));
    m_filterStatus->setWordWrap(true);
    auto *filterBox = new QVBoxLayout;
    filterBox->addWidget(m_filter);
    filterBox->addWidget(m_filterStatus);
    auto *filterLabel = new QLabel(tr("Capture &filter:"), this);
    // A row holding a layout gets no buddy from the form: Alt+F would underline and do nothing.
    filterLabel->setBuddy(m_filter);
    form->addRow(filterLabel, filterBox);

    m_destinationGroup = new QButtonGroup(this);
    m_toThisMachine = new QRadioButton(tr("This &machine"), this);
    m_toThisMachine->setObjectName(QStringLiteral("toThisMachine"));
    m_toThisMachine->setToolTip(tr("podtap receives the tunnel itself on a UDP port: no root, no password; when "
                                   "the nodes cannot reach this machine, it streams through the API server"));
    m_toLocalInterface = new QRadioButton(tr("VXLAN interface on this machine (root)"), this);
    m_toLocalInterface->setObjectName(QStringLiteral("toLocalInterface"));
    m_toApiServer = new QRadioButton(tr("Through the &API server"), this);
    m_toApiServer->setObjectName(QStringLiteral("toApiServer"));
    m_toApiServer->setToolTip(tr("No tunnel: the agent captures in the pod and podtap reads it through pods/exec; "
                                 "works behind NAT or a VPN"));
    m_toNode = new QRadioButton(tr("N&ode"), this);
    m_toNode->setObjectName(QStringLiteral("toNode"));
    m_toIp = new QRadioButton(tr("I&P"), this);
    m_toIp->setObjectName(QStringLiteral("toIp"));
    m_destinationGroup->addButton(m_toThisMachine);
    m_destinationGroup->addButton(m_toLocalInterface);
    m_destinationGroup->addButton(m_toApiServer);
    m_destinationGroup->addButton(m_toNode);
    m_destinationGroup->addButton(m_toIp);
    m_node = new QComboBox(this);
    m_node->setObjectName(QStringLiteral("node"));
    m_node->setEditable(true);
    m_node->setMinimumContentsLength(16);
    m_ip = new QLineEdit(this);
    m_ip->setObjectName(QStringLiteral("ip"));
    m_ip->setPlaceholderText(tr("192.0.2.10 or 2001:db8::10"));
    auto *destination = new QHBoxLayout;
    destination->addWidget(m_toThisMachine);
    destination->addWidget(m_toNode);
    destination->addWidget(m_node, 1);
    destination->addWidget(m_toIp);
    destination->addWidget(m_ip, 1);
    auto *localInterface = new QHBoxLayout;
    localInterface->addWidget(m_toLocalInterface);
    localInterface->addWidget(m_toApiServer);
    localInterface->addStretch(1);
    m_destinationNote = new QLabel(this);
    m_destinationNote->setObjectName(QStringLiteral("destinationNote"));
    m_destinationNote->setWordWrap(true);
    m_destinationNote->setEnabled(false);
    auto *destinationBox = new QVBoxLayout;
    destinationBox->addLayout(destination);
    destinationBox->addLayout(localInterface);
    destinationBox->addWidget(m_destinationNote);
    form->addRow(tr("Send to:"), destinationBox);

    m_vni = new QLineEdit(this);
    m_vni->setObjectName(QStringLiteral("vni"));
    m_vni->setPlaceholderText(tr("auto"));
    m_port = new QLineEdit(this);
    m_port->setObjectName(QStringLiteral("port"));
    m_duration = new QLineEdit(this);
    m_duration->setObjectName(QStringLiteral("maxDuration"));
    m_duration->setToolTip(tr("How long the agent may run at most, e.g. 90s, 15m, 1h30m"));
    auto *tunnel = new QHBoxLayout;
    tunnel->addWidget(new QLabel(tr("VNI"), this));
    tunnel->addWidget(m_vni, 1);
    tunnel->addWidget(new QLabel(tr("UDP port"), this));
    tunnel->addWidget(m_port, 1);
    tunnel->addWidget(new QLabel(tr("Stop after"), this));
    tunnel->addWidget(m_duration, 1);
    form->addRow(tr("Tunnel:"), tunnel);

    m_tool = new QComboBox(this);
    m_tool->setObjectName(QStringLiteral("tool"));
    m_tool->addItem(tr("Open in Wireshark"), toolKey(TapTool::Wireshark));
    m_tool->addItem(tr("Show tshark output"), toolKey(TapTool::Tshark));
    m_tool->addItem(tr("Save to a file"), toolKey(TapTool::SaveToFile));
    m_tool->addItem(tr("Nothing (tunnel only)"), toolKey(TapTool::None));
    m_file = new QLineEdit(this);
    m_file->setObjectName(QStringLiteral("saveFile"));
    m_file->setPlaceholderText(tr("capture.pcapng"));
    m_browse = new QPushButton(tr("Browse…"), this);
    auto *tool = new QHBoxLayout;
    tool->addWidget(m_tool);
    tool->addWidget(m_file, 1);
    tool->addWidget(m_browse);
    auto *toolLabel = new QLabel(tr("&Then:"), this);
    toolLabel->setBuddy(m_tool);
    form->addRow(toolLabel, tool);

    m_agentNamespace = new QLineEdit(this);
    m_agentNamespace->setObjectName(QStringLiteral("agentNamespace"));
    m_agentImage = new QLineEdit(this);
    m_agentImage->setObjectName(QStringLiteral("agentImage"));
    m_agentImage->setPlaceholderText(tr("default image"));
    auto *agent = new QHBoxLayout;
    agent->addWidget(new QLabel(tr("Namespace"), this));
    agent->addWidget(m_agentNamespace, 1);
    agent->addWidget(new QLabel(tr("Image"), this));
    agent->addWidget(m_agentImage, 2);
    form->addRow(tr("Agent:"), agent);

    if (isForSeveralPods()) {
        m_maxPods = new QSpinBox(this);
        m_maxPods->setObjectName(QStringLiteral("maxPods"));
        m_maxPods->setRange(1, WorkloadTapRequest::kMaxMaxPods);
        m_maxPods->setToolTip(
            tr("The most pods this tap takes at once: with more, it does not start; pods that appear later above it "
               "are left out, with a warning"));
        form->addRow(tr("Max &pods:"), m_maxPods);
    }

    m_problemsLabel = new QLabel(this);
    m_problemsLabel->setObjectName(QStringLiteral("problems"));
    m_problemsLabel->setWordWrap(true);
    m_problemsLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_problemsLabel);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_start = m_buttons->addButton(tr("&Start tap"), QDialogButtonBox::AcceptRole);
    m_start->setObjectName(QStringLiteral("startButton"));
    m_start->setDefault(true);
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &TapDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &TapDialog::reject);

    // Defaults: what the operator chose last time.
    m_direction->setCurrentIndex(std::max(
        0, m_direction->findData(ConsoleSettings::dialogValue(QStringLiteral("direction"), QStringLiteral("both")))));
    const QString destinationKind =
        ConsoleSettings::dialogValue(QStringLiteral("destinationKind"), QStringLiteral("local"));
    (destinationKind == QLatin1String("node")                     ? m_toNode
            : destinationKind == QLatin1String("ip")              ? m_toIp
            : destinationKind == QLatin1String("local-interface") ? m_toLocalInterface
            : destinationKind == QLatin1String("api")             ? m_toApiServer
                                                                  : m_toThisMachine)
        ->setChecked(true);
    m_node->setEditText(ConsoleSettings::dialogValue(QStringLiteral("node"), {}));
    m_ip->setText(ConsoleSettings::dialogValue(QStringLiteral("ip"), {}));
    m_port->setText(ConsoleSettings::dialogValue(QStringLiteral("port"), QString::number(TapRequest::kDefaultPort)));
    m_duration->setText(ConsoleSettings::dialogValue(QStringLiteral("maxDuration"), QStringLiteral("1h")));
    m_tool->setCurrentIndex(std::max(
        0, m_tool->findData(ConsoleSettings::dialogValue(QStringLiteral("tool"), toolKey(TapTool::Wireshark)))));
    m_file->setText(ConsoleSettings::dialogValue(QStringLiteral("saveFile"), {}));
    m_agentNamespace->setText(ConsoleSettings::agentNamespace());
    m_agentImage->setText(ConsoleSettings::agentImage());

    if (isForSeveralPods()) {
        // One receiver on this machine writes the one capture with an interface per pod; the other
        // destinations end one tunnel per tap elsewhere or stream one pod through the API server.
        m_toThisMachine->setChecked(true);
        const QString why = tr("A tap of several pods goes to this machine only: podtap's receiver makes one "
                               "capture with an interface per pod. Tap pods one at a time for this destination.");
        for (QRadioButton *button : {m_toLocalInterface, m_toApiServer, m_toNode, m_toIp}) {
            button->setEnabled(false);
            button->setToolTip(why);
        }
        m_vni->setEnabled(false);
        m_vni->setPlaceholderText(tr("one per pod"));
        m_maxPods->setValue(ConsoleSettings::dialogValue(
            QStringLiteral("maxPods"), QString::number(cluster::WorkloadResolver::defaultMaxPods))
                                .toInt());
        if (m_maxPods->value() < 1)
            m_maxPods->setValue(cluster::WorkloadResolver::defaultMaxPods);
    }

    setInterfaces({TapInterfaceChoice {QStringLiteral("eth0"), {}, true, {}}});

    const auto changed = [this] { revalidate(); };
    for (QLineEdit *edit : {m_filter, m_ip, m_vni, m_port, m_duration, m_file, m_agentNamespace, m_agentImage})
        connect(edit, &QLineEdit::textChanged, this, changed);
    for (QComboBox *combo : {m_interface, m_direction, m_tool})
        connect(combo, &QComboBox::currentIndexChanged, this, changed);
    connect(m_node, &QComboBox::editTextChanged, this, changed);
    if (m_maxPods)
        connect(m_maxPods, &QSpinBox::valueChanged, this, changed);
    connect(m_destinationGroup, &QButtonGroup::buttonToggled, this, [this](QAbstractButton *button, bool checked) {
        // The tunnel ends elsewhere, so no local tool can show it.
        if (checked && button != m_toThisMachine && button != m_toLocalInterface && button != m_toApiServer)
            m_tool->setCurrentIndex(m_tool->findData(toolKey(TapTool::None)));
        revalidate();
    });
    connect(m_browse, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getSaveFileName(
            this, tr("Save capture"), m_file->text(), tr("pcapng captures (*.pcapng);;All files (*)"));
        if (!file.isEmpty())
            m_file->setText(file);
    });

    revalidate();
    resize(sizeHint().expandedTo(QSize(620, 0)));
}

TapDialog::~TapDialog() = default;

void TapDialog::setInterfaces(const QList<TapInterfaceChoice> &interfaces)
{
    const QSignalBlocker blocker(m_interface);
    m_interface->clear();
    auto *model = qobject_cast<QStandardItemModel *>(m_interface->model());
    int firstTappable = -1;
    for (const TapInterfaceChoice &choice : interfaces) {
        QString text = choice.name;
        if (!choice.description.isEmpty())
            text += QStringLiteral("  (%1)").arg(choice.description);
        if (!choice.tappable)
            text += QStringLiteral(" — %1").arg(choice.reason);
        m_interface->addItem(text, choice.name);
        const int row = m_interface->count() - 1;
        if (QStandardItem *item = model ? model->item(row) : nullptr) {
            item->setEnabled(choice.tappable);
            // The description quotes the pod's network-status annotation: shown literally.
            item->setToolTip(plainToolTip(choice.tappable ? choice.description : choice.reason));
        }
        if (choice.tappable && firstTappable < 0)
            firstTappable = row;
    }
    m_interface->setCurrentIndex(firstTappable);
    revalidate();
}

void TapDialog::setNodes(const QStringList &nodes)
{
    const QString current = m_node->currentText();
    m_node->clear();
    m_node->addItems(nodes);
    m_node->setEditText(current);
}

void TapDialog::setPodsNotRunning(const QStringList &pods)
{
    if (!m_notRunning)
        return;
    m_notRunning->setText(pods.isEmpty() ? QString()
                                         : tr("Not running now, tapped once they run: %1.")
                                               .arg(describePods(pods).section(QStringLiteral(": "), 1)));
    m_notRunning->setVisible(!pods.isEmpty());
}

TapTool TapDialog::tool() const
{
    const QString key = m_tool->currentData().toString();
    for (TapTool tool : {TapTool::Wireshark, TapTool::Tshark, TapTool::None, TapTool::SaveToFile}) {
        if (toolKey(tool) == key)
            return tool;
    }
    return TapTool::Wireshark;
}

QString TapDialog::saveFile() const
{
    return m_file->text().trimmed();
}

TapRequestFields TapDialog::fields() const
{
    TapRequestFields fields;
    fields.targetNamespace = m_namespace;
    fields.pod = m_pod;
    fields.interfaceName = m_interface->currentData().toString();
    fields.direction = m_direction->currentData().toString();
    if (m_toNode->isChecked())
        fields.destination = QStringLiteral("node:") + m_node->currentText().trimmed();
    else if (m_toIp->isChecked())
        fields.destination = QStringLiteral("ip:") + m_ip->text().trimmed();
    else if (m_toLocalInterface->isChecked())
        fields.destination = QStringLiteral("local-interface");
    else if (m_toApiServer->isChecked())
        fields.destination = QStringLiteral("api");
    else
        fields.destination = QStringLiteral("local");
    fields.vni = m_vni->text().trimmed();
    fields.port = m_port->text().trimmed();
    fields.captureFilter = m_filter->text().trimmed();
    fields.maxDuration = m_duration->text().trimmed();
    fields.agentNamespace = m_agentNamespace->text().trimmed();
    fields.agentImage = m_agentImage->text().trimmed();
    return fields;
}

void TapDialog::updateDestinationWidgets()
{
    m_node->setEnabled(m_toNode->isChecked());
    m_ip->setEnabled(m_toIp->isChecked());
    if (m_toLocalInterface->isChecked())
        m_destinationNote->setText(tr("Creates the interface ptap<VNI> with podtap-agent: asks for your password "
                                      "(pkexec) unless podtap runs as root or has CAP_NET_ADMIN."));
    else if (m_toThisMachine->isChecked() && isForSeveralPods())
        m_destinationNote->setText(tr("podtap receives every pod's tunnel on UDP port %1 itself, one agent pod per "
                                      "node, and feeds one capture with an interface per pod to Wireshark, tshark or "
                                      "the file: no root, no password. The other destinations take one pod at a "
                                      "time.")
                                       .arg(m_port->text().trimmed()));
    else if (m_toThisMachine->isChecked())
        m_destinationNote->setText(tr("podtap receives the tunnel on UDP port %1 itself and feeds Wireshark, tshark "
                                      "or the file through a pipe: no root, no password.")
                                       .arg(m_port->text().trimmed()));
    else if (m_toApiServer->isChecked())
        m_destinationNote->setText(tr("No tunnel: the agent captures in the pod and podtap reads the packets through "
                                      "the API server (pods/exec, over TLS). Whoever operates the API server can "
                                      "read them."));
    else
        m_destinationNote->clear();
    m_destinationNote->setVisible(!m_destinationNote->text().isEmpty());
    const bool toFile = tool() == TapTool::SaveToFile;
    m_file->setEnabled(toFile);
    m_browse->setEnabled(toFile);
}

void TapDialog::revalidate()
{
    updateDestinationWidgets();

    QStringList problems;
    if (m_interface->currentIndex() < 0)
        problems << (isForSeveralPods() ? tr("The selected pods have no interface that all of them can have tapped: "
                                             "select pods with a common interface, or tap them one at a time.")
                                        : tr("This pod has no interface that can be tapped."));

    ValidationProblems requestProblems;
    m_request = TapRequest::fromFields(fields(), &requestProblems);
    if (isForSeveralPods()) {
        // The fields they share were checked above, as for one pod; the rest is the workload request's.
        m_workloadRequest = WorkloadTapRequest {};
        m_workloadRequest.pods = m_pods;
        m_workloadRequest.interfaceName = m_request.interfaceName;
        m_workloadRequest.direction = m_request.direction;
        m_workloadRequest.destination = m_request.destination;
        m_workloadRequest.port = m_request.port;
        m_workloadRequest.captureFilter = m_request.captureFilter;
        m_workloadRequest.maxDuration = m_request.maxDuration;
        m_workloadRequest.agentNamespace = m_request.agentNamespace;
        m_workloadRequest.agentImage = m_request.agentImage;
        m_workloadRequest.maxPods = m_maxPods->value();
        if (requestProblems.isEmpty())
            requestProblems = m_workloadRequest.validate();
        if (m_pods.size() > m_workloadRequest.maxPods)
            problems << tr("%1 pods are selected, more than Max pods (%2): select fewer pods, or raise Max pods.")
                            .arg(m_pods.size())
                            .arg(m_workloadRequest.maxPods);
    }
    for (const ValidationProblem &problem : std::as_const(requestProblems))
        problems << problem.toString();

    // The capture filter must mean what it means to tcpdump: libpcap's compiler decides.
    const QString filter = m_filter->text().trimmed();
    if (filter.isEmpty()) {
        m_filterStatus->setText(tr("No filter: every packet is mirrored."));
        m_filterStatus->setStyleSheet({});
    } else {
        const CompiledFilter compiled = compileCaptureFilter(filter);
        if (compiled.ok()) {
            m_filterStatus->setText(tr("Filter compiles to %n BPF instruction(s) and runs in the kernel.", nullptr,
                int(compiled.program.size())));
            m_filterStatus->setStyleSheet({});
        } else {
            m_filterStatus->setText(compiled.error);
            m_filterStatus->setStyleSheet(QStringLiteral("color: palette(link-visited);"));
            problems << compiled.error;
        }
    }

    if (tool() == TapTool::SaveToFile && saveFile().isEmpty())
        problems << tr("Save to a file needs a file name: choose where the capture goes, or pick another tool.");
    const bool inProcess = m_toThisMachine->isChecked() || m_toApiServer->isChecked();
    problems << captureOptions().problems(inProcess || m_toLocalInterface->isChecked(), inProcess);

    m_problems = problems;
    if (problems.isEmpty()) {
        m_problemsLabel->clear();
        m_problemsLabel->hide();
    } else {
        QString html = QStringLiteral("<ul style=\"margin-left:-24px\">");
        for (const QString &problem : std::as_const(problems))
            html += QStringLiteral("<li>%1</li>").arg(problem.toHtmlEscaped());
        html += QStringLiteral("</ul>");
        m_problemsLabel->setText(html);
        m_problemsLabel->show();
    }
    m_start->setEnabled(problems.isEmpty());
}

void TapDialog::saveDefaults() const
{
    ConsoleSettings::setDialogValue(QStringLiteral("direction"), m_direction->currentData().toString());
    if (isForSeveralPods()) {
        // Its destination was not a choice: the one-pod dialog keeps the operator's.
        ConsoleSettings::setDialogValue(QStringLiteral("maxPods"), QString::number(m_maxPods->value()));
    } else {
        ConsoleSettings::setDialogValue(QStringLiteral("destinationKind"),
            m_toNode->isChecked()                 ? QStringLiteral("node")
                : m_toIp->isChecked()             ? QStringLiteral("ip")
                : m_toLocalInterface->isChecked() ? QStringLiteral("local-interface")
                : m_toApiServer->isChecked()      ? QStringLiteral("api")
                                                  : QStringLiteral("local"));
    }
    ConsoleSettings::setDialogValue(QStringLiteral("node"), m_node->currentText().trimmed());
    ConsoleSettings::setDialogValue(QStringLiteral("ip"), m_ip->text().trimmed());
    ConsoleSettings::setDialogValue(QStringLiteral("port"), m_port->text().trimmed());
    ConsoleSettings::setDialogValue(QStringLiteral("maxDuration"), m_duration->text().trimmed());
    ConsoleSettings::setDialogValue(QStringLiteral("tool"), toolKey(tool()));
    ConsoleSettings::setDialogValue(QStringLiteral("saveFile"), saveFile());
    ConsoleSettings::setAgentNamespace(m_agentNamespace->text().trimmed());
    ConsoleSettings::setAgentImage(m_agentImage->text().trimmed());
}

void TapDialog::accept()
{
    revalidate();
    if (!m_problems.isEmpty())
        return;
    saveDefaults();
    ConsoleSettings::setCleartextNoteShown(true);
    QDialog::accept();
}

} // namespace podtap::gui
