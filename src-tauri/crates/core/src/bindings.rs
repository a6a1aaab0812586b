//! The TypeScript declarations of every type the UI sees, rendered into one file
//! (`ui/src/lib/bindings.ts`). A test keeps the committed file equal to this output.

use ts_rs::{Config, TS};

use crate::approval::{Decision, Offer, Refusal, RefusalKind};
use crate::audit::{
    Attempt, AttemptFilter, AuditAction, AuditEntry, AuditGate, AuditMethod, AuditPlan,
    AuditProblem, AuditResult, ChainBreak, ChainHead, ChainReport,
};
use crate::desk::{
    Account, AccountSource, ActRequest, AuditExport, DemoPerson, DeviceCode, EnvironmentContext,
    ExportFormat, KeychainInfo, LinkDecision, Outcome, ProgressLine, ReviewAction, RollbackOffer,
    SessionInfo,
};
use crate::error::UiError;
use crate::evidence::{
    Decided, Evidence, EvidenceExport, HelmRevisions, JournalCheck, TimelineLine, TimelineSource,
    VerificationResult,
};
use crate::history::{History, HistoryRow, RollbackPlan};
use crate::manifests::{ManifestChange, ManifestChangeKind};
use crate::metrics::{
    ChangeKind, ChangeOutcome, EnvironmentMetrics, FailedChange, FailureReason, Metrics,
    MetricsBucket, Spread,
};
use crate::pipeline::{
    Approval, ChangeWindow, Environment, Freeze, Gate, GithubRepository, HelmSettings, OnFailure,
    Pipeline, Principals, PromotionMethod, ShownValue, SmokeJob, Trigger, Verify, Weekday,
};
use crate::quorum::{LedgerApproval, Quorum, Vote};
use crate::replay::{Replay, ReplayFrame};
use crate::review::{Candidate, HelmPreview, Pin, ReleaseNotes, Review, ValuesChanges};
use crate::snapshot::{
    CheckState, CommitSummary, Condition, DeployedValues, Drift, EnvironmentState, GateCondition,
    GateConditionKind, GateState, GateStatus, Health, HelmRevision, ImageChange, ImageRef,
    InboxItem, InboxReason, LastDeployed, Notification, Pending, PodState, PullRequestRef,
    PullRequestState, ReplicaSetState, Rollout, RunningSince, Snapshot, SourceKind, SourceState,
    ValueChange, ValueEntry, Version, WaitingRun, WarningEvent, Workload,
};
use crate::snapshot_update::{KeptWorkloads, SnapshotUpdate};
use crate::verify::{Verification, VerificationState, VerifyCheck};

pub const HEADER: &str = "// This file is generated from Rust by `make bindings`. Do not edit.\n";

/// The whole bindings file. Types are declared in dependency-free order; TypeScript does not
/// care about order for type aliases, so the order is for the reader.
pub fn typescript() -> String {
    let cfg = Config::default();
    let decls = [
        Pipeline::decl(&cfg),
        GithubRepository::decl(&cfg),
        HelmSettings::decl(&cfg),
        Environment::decl(&cfg),
        ShownValue::decl(&cfg),
        Trigger::decl(&cfg),
        Gate::decl(&cfg),
        PromotionMethod::decl(&cfg),
        Approval::decl(&cfg),
        Verify::decl(&cfg),
        SmokeJob::decl(&cfg),
        OnFailure::decl(&cfg),
        Principals::decl(&cfg),
        ChangeWindow::decl(&cfg),
        Weekday::decl(&cfg),
        Freeze::decl(&cfg),
        UiError::decl(&cfg),
        History::decl(&cfg),
        HistoryRow::decl(&cfg),
        RollbackPlan::decl(&cfg),
        Metrics::decl(&cfg),
        EnvironmentMetrics::decl(&cfg),
        Spread::decl(&cfg),
        FailedChange::decl(&cfg),
        FailureReason::decl(&cfg),
        MetricsBucket::decl(&cfg),
        ChangeKind::decl(&cfg),
        ChangeOutcome::decl(&cfg),
        Snapshot::decl(&cfg),
        SnapshotUpdate::decl(&cfg),
        KeptWorkloads::decl(&cfg),
        Health::decl(&cfg),
        EnvironmentState::decl(&cfg),
        Version::decl(&cfg),
        ImageRef::decl(&cfg),
        PullRequestRef::decl(&cfg),
        Workload::decl(&cfg),
        Condition::decl(&cfg),
        ReplicaSetState::decl(&cfg),
        PodState::decl(&cfg),
        Rollout::decl(&cfg),
        HelmRevision::decl(&cfg),
        LastDeployed::decl(&cfg),
        RunningSince::decl(&cfg),
        DeployedValues::decl(&cfg),
        ValueEntry::decl(&cfg),
        Drift::decl(&cfg),
        WarningEvent::decl(&cfg),
        GateState::decl(&cfg),
        GateStatus::decl(&cfg),
        Pending::decl(&cfg),
        CommitSummary::decl(&cfg),
        ImageChange::decl(&cfg),
        ValueChange::decl(&cfg),
        GateConditionKind::decl(&cfg),
        GateCondition::decl(&cfg),
        WaitingRun::decl(&cfg),
        InboxItem::decl(&cfg),
        InboxReason::decl(&cfg),
        Notification::decl(&cfg),
        SourceKind::decl(&cfg),
        SourceState::decl(&cfg),
        CheckState::decl(&cfg),
        PullRequestState::decl(&cfg),
        Decision::decl(&cfg),
        Vote::decl(&cfg),
        Replay::decl(&cfg),
        ReplayFrame::decl(&cfg),
        Quorum::decl(&cfg),
        LedgerApproval::decl(&cfg),
        Offer::decl(&cfg),
        Refusal::decl(&cfg),
        RefusalKind::decl(&cfg),
        AuditEntry::decl(&cfg),
        AuditMethod::decl(&cfg),
        AuditAction::decl(&cfg),
        AuditResult::decl(&cfg),
        AuditPlan::decl(&cfg),
        AuditGate::decl(&cfg),
        AuditProblem::decl(&cfg),
        Attempt::decl(&cfg),
        AttemptFilter::decl(&cfg),
        ChainReport::decl(&cfg),
        ChainHead::decl(&cfg),
        ChainBreak::decl(&cfg),
        SessionInfo::decl(&cfg),
        DemoPerson::decl(&cfg),
        Account::decl(&cfg),
        AccountSource::decl(&cfg),
        KeychainInfo::decl(&cfg),
        EnvironmentContext::decl(&cfg),
        DeviceCode::decl(&cfg),
        LinkDecision::decl(&cfg),
        Review::decl(&cfg),
        Candidate::decl(&cfg),
        Pin::decl(&cfg),
        HelmPreview::decl(&cfg),
        ManifestChange::decl(&cfg),
        ManifestChangeKind::decl(&cfg),
        ReleaseNotes::decl(&cfg),
        ValuesChanges::decl(&cfg),
        ReviewAction::decl(&cfg),
        ActRequest::decl(&cfg),
        Outcome::decl(&cfg),
        RollbackOffer::decl(&cfg),
        ProgressLine::decl(&cfg),
        Verification::decl(&cfg),
        VerificationState::decl(&cfg),
        VerifyCheck::decl(&cfg),
        ExportFormat::decl(&cfg),
        AuditExport::decl(&cfg),
        Evidence::decl(&cfg),
        Decided::decl(&cfg),
        TimelineLine::decl(&cfg),
        TimelineSource::decl(&cfg),
        VerificationResult::decl(&cfg),
        HelmRevisions::decl(&cfg),
        JournalCheck::decl(&cfg),
        EvidenceExport::decl(&cfg),
    ];
    let mut out = String::from(HEADER);
    for decl in decls {
        out.push_str("export ");
        out.push_str(&decl);
        out.push('\n');
    }
    out
}
