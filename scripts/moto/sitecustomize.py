"""Test shim for the moto server started by scripts/moto-server.sh.

moto records SSM Run Command requests but runs nothing: every
GetCommandInvocation answers Status "Success" with empty output. The
generated state machine reads the AMI id and `terraform output -json` from a
command's standard output, and branches on its Status, so a test needs to
say what the runner instance "printed". This shim does only that.

When the file named by PAASC_MOTO_SSM_OUTCOMES exists, it maps SSM document
names, or `ACCOUNT/DOCUMENT` (tests that share one server run the same app
in accounts of their own; the account's entry wins), to outcomes:

    {"paas-shop-prod-bake": {"Status": "Success", "StandardOutputContent": "ami-0123"},
     "200000000001/paas-shop-prod-provision": {"Pending": 1, "Status": "Failed", "ResponseCode": 1}}

`Pending` is how many GetCommandInvocation calls answer "InProgress" before
the final outcome (exercises the Wait/Choice polling loop). Keys other than
`Pending` override fields of moto's invocation record. Documents not in the
file, or no file at all, keep moto's own behaviour. SendCommand, the command
record and every other service stay moto's own.

Each patch of this file says which AWS behaviour it stands for (the last
ones: launch template tags, bucket notifications, Step Functions task
credentials, scaling policies, security group rule descriptions, SSM
CancelCommand, CloudWatch DescribeAlarms filters, and Auto Scaling
instance refreshes).

Second, always: moto's Step Functions interpreter turns an AWS SDK
integration's service name into a boto3 client name unchanged, except for
`sfn`/`states`; Step Functions calls Elastic Load Balancing v2
`elasticloadbalancingv2` (arn:aws:states:::aws-sdk:elasticloadbalancingv2:...)
while boto3 calls it `elbv2`. The shim adds that one entry to moto's own
override table, so the call reaches moto's ELBv2 like it reaches ELBv2 on AWS.
"""

import json
import os
import threading

# First: AWS clients reach S3 over TLS, so AWS evaluates a bucket policy's
# `aws:SecureTransport` as true for them. moto evaluates bucket policies with
# no request context and knows only the `StringEquals` condition operator,
# treating every other one (`Bool` among them) as satisfied, so the standard
# "deny when not SecureTransport" statement (every paasc bucket has it)
# would refuse every request. Here moto learns `Bool` (true/false, compared
# case-insensitively, as AWS does) and bucket policies are evaluated with
# aws:SecureTransport true, as for the TLS requests AWS sees. Last, moto
# answers DENIED when a statement's conditions do not match; on AWS such a
# statement does not apply (it neither allows nor denies), so a resource
# policy's statement whose conditions fail is NEUTRAL here (trust policies,
# which have no Resource, keep moto's answer).
try:
    from moto.iam import access_control as _access_control
    from moto.iam import policy_conditions as _conditions
    from moto.s3 import models as _s3_models

    _statement_permitted = _access_control.IAMPolicyStatement.is_action_permitted

    def _statement_applies_only_when_its_conditions_hold(
        self, action, resource="*", principal=None, incoming_condition_values=None
    ):
        result = _statement_permitted(
            self, action, resource, principal, incoming_condition_values
        )
        if (
            result == _access_control.PermissionResult.DENIED
            and self._statement.get("Resource")
            and self._statement.get("Condition")
            and not self._check_conditions(incoming_condition_values)
        ):
            return _access_control.PermissionResult.NEUTRAL
        return result

    _access_control.IAMPolicyStatement.is_action_permitted = (
        _statement_applies_only_when_its_conditions_hold
    )

    def _bool_operation(expected, actual):
        wanted = expected if isinstance(expected, list) else [expected]
        return str(actual).lower() in [str(w).lower() for w in wanted]

    _conditions.CONDITION_OPERATIONS.setdefault("Bool", _bool_operation)

    def _permission_over_tls(self, action, resource):
        from moto.iam.access_control import IAMPolicy, PermissionResult

        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = IAMPolicy(self.policy.decode())
        return policy.is_action_permitted(
            action, resource, incoming_condition_values={"aws:SecureTransport": "true"}
        )

    _s3_models.FakeBucket.get_permission = _permission_over_tls
except Exception:  # moto not importable or reorganised: leave it as shipped
    pass

try:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service as _sfn_task_service,
    )

    _sfn_task_service.StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES.setdefault(
        "elasticloadbalancingv2", "elbv2"
    )
except Exception:  # moto not importable or reorganised: leave it as shipped
    pass

_OUTCOMES = os.environ.get("PAASC_MOTO_SSM_OUTCOMES")

if _OUTCOMES:
    try:
        from moto.ssm import models as _ssm_models
    except Exception:  # moto not importable: leave Python alone
        _ssm_models = None

    if _ssm_models is not None:
        _original = _ssm_models.Command.get_invocation
        _polls = {}
        _lock = threading.Lock()

        def _scripted_get_invocation(self, instance_id, plugin_name):
            invocation = _original(self, instance_id, plugin_name)
            if getattr(self, "status", None) == "Cancelled":
                # A cancelled command answers Cancelled, whatever was scripted.
                result = dict(invocation)
                result.update(Status="Cancelled", StatusDetails="Cancelled", ResponseCode=-1)
                return result
            try:
                with open(_OUTCOMES, encoding="utf-8") as f:
                    outcomes = json.load(f)
            except (OSError, ValueError):
                return invocation
            outcome = outcomes.get(
                "%s/%s" % (getattr(self, "account_id", ""), self.document_name),
                outcomes.get(self.document_name),
            )
            if not isinstance(outcome, dict):
                return invocation
            result = dict(invocation)
            with _lock:
                seen = _polls.get(self.command_id, 0)
                _polls[self.command_id] = seen + 1
            if seen < int(outcome.get("Pending", 0)):
                result.update(Status="InProgress", StatusDetails="InProgress", ResponseCode=-1)
                return result
            for key, value in outcome.items():
                if key != "Pending":
                    result[key] = value
            if "StatusDetails" not in outcome and "Status" in outcome:
                result["StatusDetails"] = outcome["Status"]
            return result

        _ssm_models.Command.get_invocation = _scripted_get_invocation

# Launch templates: AWS keeps a template's own tags (CreateLaunchTemplate's
# TagSpecifications of type `launch-template`) apart from the tags its
# instances and volumes get (LaunchTemplateData.TagSpecifications). moto
# copies the former into the version's data, so Terraform reads back a tag
# specification it never wrote and plans a change on every run. The version
# data keeps only what AWS keeps there. And AWS takes a new version's
# UserData as CreateLaunchTemplate takes the first's (base64); moto parses it
# for CreateLaunchTemplate only and keeps CreateLaunchTemplateVersion's as a
# plain string, on which launching an instance from that version fails (a
# group scaled out after its template changed). Here both are parsed alike.
try:
    from moto.ec2.models import launch_templates as _launch_templates
    from moto.ec2.utils import parse_user_data as _parse_user_data

    _version_init = _launch_templates.LaunchTemplateVersion.__init__

    def _version_without_template_tags(self, template, number, data, description):
        if isinstance(data.get("UserData"), str):
            data = dict(data)
            parsed = _parse_user_data(data["UserData"])
            if parsed is None:
                del data["UserData"]
            else:
                data["UserData"] = parsed
        specs = data.get("TagSpecifications")
        if isinstance(specs, list):
            data = dict(data)
            data["TagSpecifications"] = [
                s for s in specs if s.get("ResourceType") != "launch-template"
            ]
            if not data["TagSpecifications"]:
                del data["TagSpecifications"]
        _version_init(self, template, number, data, description)

    _launch_templates.LaunchTemplateVersion.__init__ = _version_without_template_tags
except Exception:  # moto reorganised: leave it as shipped
    pass

# Bucket notifications: AWS answers GetBucketNotificationConfiguration with
# the EventBridgeConfiguration it was given; moto stores it but leaves it out
# of the answer, so Terraform reads `eventbridge = false` back and plans a
# change on every run. The answer includes it when it is set.
try:
    from moto.s3 import responses as _s3_responses
    from moto.core.common_types import TYPE_RESPONSE  # noqa: F401

    _get_notification = _s3_responses.S3Response.get_bucket_notification

    def _notification_with_eventbridge(self):
        config = self.backend.get_bucket_notification_configuration(self.bucket_name)
        status, headers, body = _get_notification(self)
        if config is not None and config.event_bridge is not None:
            text = body.decode() if isinstance(body, bytes) else str(body)
            if "<EventBridgeConfiguration" not in text:
                close = "</NotificationConfiguration>"
                if close in text:
                    text = text.replace(close, "<EventBridgeConfiguration/>" + close)
                elif text.rstrip().endswith("/>") and "NotificationConfiguration" in text:
                    # An empty configuration rendered as one self-closing tag.
                    head = text.rstrip()[:-2]
                    text = head + "><EventBridgeConfiguration/>" + close
                body = text.encode() if isinstance(body, bytes) else text
                headers = dict(headers)
                headers.pop("Content-Length", None)
                headers.pop("content-length", None)
        return status, headers, body

    _s3_responses.S3Response.get_bucket_notification = _notification_with_eventbridge
except Exception:  # moto reorganised: leave it as shipped
    pass

# Step Functions: on AWS a state machine's tasks call the services as its
# execution role, in the role's account, and a Task with `Credentials`
# assumes that role (cross-account tasks). moto's interpreter calls every
# service with fixed credentials of its default account and ignores
# `Credentials`. Here each task assumes the Task's `Credentials.RoleArn`, or
# else the execution's role, through moto's STS, so a pipeline runs in its
# own account and reaches the app account through the provision role, as on
# AWS. (moto's STS hands out credentials for the role's account; it checks
# no trust policy.)
try:
    import boto3 as _boto3
    from moto.stepfunctions.parser.asl.utils import boto_client as _boto_client
    from moto.stepfunctions.parser.backend import execution_worker as _execution_worker

    _plain_client_for = _boto_client.boto_client_for
    _execution_role = threading.local()
    _sessions = {}
    _sessions_lock = threading.Lock()

    def _assumed(role_arn, region):
        with _sessions_lock:
            creds = _sessions.get(role_arn)
        if creds is None:
            sts = _plain_client_for(region, "sts")
            creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="paasc-sfn-task")["Credentials"]
            with _sessions_lock:
                _sessions[role_arn] = creds
        return creds

    def _client_as_the_role(region, service, state_credentials=None):
        plain = _plain_client_for(region, service, state_credentials)
        role = getattr(state_credentials, "role_arn", None) or getattr(_execution_role, "arn", None)
        if not role:
            return plain
        creds = _assumed(role, region)
        return _boto3.client(
            service_name=service,
            region_name=region,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            endpoint_url=plain.meta.endpoint_url,
            config=plain.meta.config,
        )

    def _install_client_for():
        # Every interpreter module imported `boto_client_for` by name.
        import importlib
        import pkgutil
        import moto.stepfunctions.parser.asl as _asl

        for info in pkgutil.walk_packages(_asl.__path__, _asl.__name__ + "."):
            try:
                module = importlib.import_module(info.name)
            except Exception:
                continue
            if getattr(module, "boto_client_for", None) is _plain_client_for:
                module.boto_client_for = _client_as_the_role
        _boto_client.boto_client_for = _client_as_the_role

    _install_client_for()

    _execution_logic = _execution_worker.ExecutionWorker._execution_logic

    def _execution_logic_as_its_role(self):
        _execution_role.arn = self._evaluation_details.execution_details.role_arn
        return _execution_logic(self)

    _execution_worker.ExecutionWorker._execution_logic = _execution_logic_as_its_role
except Exception:  # moto not importable or reorganised: leave it as shipped
    pass

# Scaling policies: AWS enables a policy unless PutScalingPolicy says
# `Enabled=false`, and reports a PredictiveScalingConfiguration only for
# predictive policies. moto reports every policy disabled and with an empty
# predictive configuration, so Terraform plans a change on every run. Here a
# policy is enabled and has no predictive configuration unless one was given.
try:
    from moto.autoscaling import models as _autoscaling_models

    _policy_init = _autoscaling_models.FakeScalingPolicy.__init__

    def _policy_as_aws_reports_it(self, *args, **kwargs):
        _policy_init(self, *args, **kwargs)
        if not getattr(self, "predictive_scaling_configuration", None):
            self.predictive_scaling_configuration = None
        if getattr(self, "enabled", None) is None:
            self.enabled = True

    _autoscaling_models.FakeScalingPolicy.__init__ = _policy_as_aws_reports_it
except Exception:  # moto reorganised: leave it as shipped
    pass

# Security group rules: AWS reports the description of a rule that
# references another security group as it was given; moto keeps it with the
# referenced group but reports only descriptions of CIDR rules, so Terraform
# plans to re-add it on every run. Here a rule reports its description
# either way.
try:
    from moto.ec2.models import security_groups as _security_groups

    _security_groups.SecurityGroupRule.description = property(
        lambda self: self.ip_range.get("Description") or self.source_group.get("Description")
    )
except Exception:  # moto reorganised: leave it as shipped
    pass

# SSM CancelCommand: AWS stops a command's invocations and reports the
# command and each invocation `Cancelled`. moto has no CancelCommand; here it
# marks the command Cancelled (ListCommands shows it, GetCommandInvocation
# answers Cancelled), which is what a state machine that cancels an overdue
# stage observes on AWS.
try:
    from moto.ssm import responses as _ssm_responses
    from moto.core.responses import ActionResult as _ActionResult

    def _cancel_command(self):
        command_id = self._get_param("CommandId")
        command = self.ssm_backend.get_command_by_id(command_id)
        command.status = "Cancelled"
        return _ActionResult({})

    if not hasattr(_ssm_responses.SimpleSystemManagerResponse, "cancel_command"):
        _ssm_responses.SimpleSystemManagerResponse.cancel_command = _cancel_command
except Exception:  # moto reorganised: leave it as shipped
    pass

# CloudWatch DescribeAlarms: on AWS its filters combine (AlarmNamePrefix or
# AlarmNames, and StateValue, and AlarmTypes: "the alarms of this app's
# green fleet that are in ALARM"). moto applies only the first filter it
# finds, so a prefix with StateValue=ALARM lists every alarm of the prefix,
# whatever its state. Here every filter given applies.
try:
    from moto.cloudwatch import responses as _cw_responses
    from moto.core.responses import ActionResult as _CwActionResult

    def _describe_alarms_filtered(self):
        prefix = self._get_param("AlarmNamePrefix")
        names = self._get_param("AlarmNames", [])
        state = self._get_param("StateValue")
        action_prefix = self._get_param("ActionPrefix")
        types = self._get_param("AlarmTypes", [])
        alarms = list(self.cloudwatch_backend.describe_alarms())
        if prefix:
            alarms = [a for a in alarms if a.name.startswith(prefix)]
        if names:
            alarms = [a for a in alarms if a.name in names]
        if state:
            alarms = [a for a in alarms if a.state_value == state]
        if action_prefix:
            alarms = [
                a for a in alarms
                if any(x.startswith(action_prefix) for x in (a.alarm_actions or []))
            ]
        metric = [a for a in alarms if a.rule is None]
        composite = [a for a in alarms if a.rule is not None]
        if types:
            metric = metric if "MetricAlarm" in types else []
            composite = composite if "CompositeAlarm" in types else []
        return _CwActionResult({"MetricAlarms": metric, "CompositeAlarms": composite})

    _cw_responses.CloudWatchResponse.describe_alarms = _describe_alarms_filtered
except Exception:  # moto reorganised: leave it as shipped
    pass

# Auto Scaling instance refreshes: on AWS, StartInstanceRefresh replaces a
# group's instances with ones of its current launch template (or
# configuration), reports the refresh Pending/InProgress while it works and
# Successful at the end; DescribeInstanceRefreshes lists a group's refreshes
# newest first; RollbackInstanceRefresh and CancelInstanceRefresh act on a
# refresh in progress only, else ActiveInstanceRefreshNotFound. moto has
# none of these (Terraform starts a refresh when a rolling group's launch
# template changes). Here a refresh replaces the group's instances at once
# (terminate, then launch as many from the current template), and reports
# InProgress to the first DescribeInstanceRefreshes after its start, then
# Successful: what a state machine waiting on a refresh observes on AWS.
try:
    import uuid as _uuid
    from moto.autoscaling import responses as _as_responses
    from moto.autoscaling.models import autoscaling_backends as _as_backends
    from moto.core.responses import ActionResult as _AsActionResult
    from moto.autoscaling.exceptions import AutoscalingClientError as _AsError

    _REFRESHES = {}

    class _NoActiveRefresh(_AsError):
        code = "ActiveInstanceRefreshNotFound"

        def __init__(self, group):
            super().__init__(
                f"No in progress or pending Instance Refresh found for Auto Scaling group {group}"
            )

    def _as_backend(self):
        return _as_backends[self.current_account][self.region]

    def _start_instance_refresh(self):
        name = self._get_param("AutoScalingGroupName")
        backend = _as_backend(self)
        group = backend.autoscaling_groups[name]
        count = len(group.instance_states)
        group.set_desired_capacity(0)
        group.set_desired_capacity(count)
        backend.update_attached_elbs(name)
        refresh_id = str(_uuid.uuid4())
        _REFRESHES.setdefault((self.current_account, self.region, name), []).insert(
            0, {"InstanceRefreshId": refresh_id, "AutoScalingGroupName": name,
                "Status": "InProgress", "PercentageComplete": 0, "_described": 0})
        return _AsActionResult({"InstanceRefreshId": refresh_id})

    def _describe_instance_refreshes(self):
        name = self._get_param("AutoScalingGroupName")
        out = []
        for r in _REFRESHES.get((self.current_account, self.region, name), []):
            if r["Status"] == "InProgress" and r["_described"] >= 1:
                r["Status"], r["PercentageComplete"] = "Successful", 100
            r["_described"] += 1
            out.append({k: v for k, v in r.items() if not k.startswith("_")})
        limit = self._get_param("MaxRecords")
        if limit:
            out = out[: int(limit)]
        return _AsActionResult({"InstanceRefreshes": out})

    def _end_refresh(status):
        def handler(self):
            name = self._get_param("AutoScalingGroupName")
            for r in _REFRESHES.get((self.current_account, self.region, name), []):
                if r["Status"] in ("Pending", "InProgress"):
                    r["Status"] = status
                    return _AsActionResult({"InstanceRefreshId": r["InstanceRefreshId"]})
            raise _NoActiveRefresh(name)
        return handler

    _R = _as_responses.AutoScalingResponse
    for _name, _fn in [
        ("start_instance_refresh", _start_instance_refresh),
        ("describe_instance_refreshes", _describe_instance_refreshes),
        ("rollback_instance_refresh", _end_refresh("RollbackSuccessful")),
        ("cancel_instance_refresh", _end_refresh("Cancelled")),
    ]:
        if not hasattr(_R, _name):
            setattr(_R, _name, _fn)
except Exception:  # moto reorganised: leave it as shipped
    pass

# AWS SDK integrations of services whose API spells its members in camelCase
# (Step Functions itself: `executionArn`, `status`): on AWS a Task names the
# parameters in PascalCase (`ExecutionArn`) and gets the result in
# PascalCase (`Status`), whatever the API's own spelling. moto hands the
# parameters to boto3 as written and the result back as boto3 spells it, so
# such a Task fails parameter validation. Here, for Step Functions only,
# parameter names get the API's spelling and the result's names the
# integration's.
try:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as _aws_sdk,
    )

    _sdk_eval = _aws_sdk.StateTaskServiceAwsSdk._eval_service_task

    def _lower_first(name):
        return name[:1].lower() + name[1:]

    def _upper_first_deep(value):
        if isinstance(value, dict):
            return {k[:1].upper() + k[1:]: _upper_first_deep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [_upper_first_deep(v) for v in value]
        return value

    def _eval_camel_case_service(self, env, resource_runtime_part, normalised_parameters, state_credentials):
        if self._get_boto_service_name() != "stepfunctions":
            return _sdk_eval(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        params = {_lower_first(k): v for k, v in normalised_parameters.items()}
        _sdk_eval(self, env, resource_runtime_part, params, state_credentials)
        result = env.stack.pop()
        if isinstance(result, dict):
            result = {
                k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in result.items()
            }
        env.stack.append(_upper_first_deep(result))

    _aws_sdk.StateTaskServiceAwsSdk._eval_service_task = _eval_camel_case_service
except Exception:  # moto reorganised: leave it as shipped
    pass

# Step Functions activities: on AWS a state machine's activity Task puts a
# task on the activity's queue; GetActivityTask long-polls that queue (up to
# 60 s), hands the task to one worker and records ActivityStarted with the
# worker's name; SendTaskFailure reports the worker's error and cause. moto's
# interpreter runs activity Tasks, but every execution gets an empty activity
# store (so each activity Task fails as "does not exist"), the server has no
# GetActivityTask, and SendTaskFailure drops the cause. Here the executions
# share one queue per activity that CreateActivity made, GetActivityTask
# serves it (handing out only tasks whose execution still waits on them),
# and SendTaskFailure passes the cause on. PAAS_MOTO_ACTIVITY_POLL_SECONDS
# (default 60, as on AWS) is how long an empty poll is held: tests shorten
# it so that a stopping worker's last poll comes back sooner.
try:
    import time as _time

    from moto.core.responses import ActionResult as _ActionResult
    from moto.stepfunctions import responses as _sfn_responses
    from moto.stepfunctions.parser.asl.eval.callback.callback import (
        ActivityCallbackEndpoint as _ActivityEndpoint,
    )
    from moto.stepfunctions.parser.backend import execution as _parser_execution
    from moto.stepfunctions.parser.backend.activity import Activity as _QueuedActivity

    _activity_queues = {}
    _activity_lock = threading.Lock()

    class _SharedActivityStore:
        """The activities CreateActivity made in one account and region."""

        def __init__(self, account_id, region_name):
            self.account_id = account_id
            self.region_name = region_name

        def get(self, arn, default=None):
            backend = _sfn_responses.get_backend(self.account_id, self.region_name)
            if arn not in backend.activities:
                return default
            with _activity_lock:
                return _activity_queues.setdefault(
                    arn, _QueuedActivity(arn=arn, name=arn.rsplit(":", 1)[-1])
                )

    _execution_init = _parser_execution.Execution.__init__

    def _execution_with_the_shared_activities(self, *args, **kwargs):
        _execution_init(self, *args, **kwargs)
        self._activity_store = _SharedActivityStore(self.account_id, self.region_name)

    _parser_execution.Execution.__init__ = _execution_with_the_shared_activities

    def _waiting_endpoint(backend, token):
        for machine in backend.state_machines:
            for execution in machine.executions:
                worker = getattr(execution, "exec_worker", None)
                if worker is None or str(getattr(execution, "status", "")) != "RUNNING":
                    continue
                endpoint = worker.env.callback_pool_manager.get(callback_id=token)
                if isinstance(endpoint, _ActivityEndpoint):
                    return endpoint
        return None

    def _get_activity_task(self):
        arn = self._get_param("activityArn")
        worker_name = self._get_param("workerName")
        backend = self.stepfunction_backend
        backend.describe_activity(arn)  # ActivityDoesNotExist, as on AWS
        queue = _SharedActivityStore(self.current_account, self.region).get(arn)
        hold = float(os.environ.get("PAAS_MOTO_ACTIVITY_POLL_SECONDS", "60"))
        until = _time.time() + hold
        while True:
            try:
                task = queue.get_task()
            except IndexError:
                task = None
            if task is not None:
                endpoint = _waiting_endpoint(backend, task.task_token)
                if endpoint is not None:
                    endpoint.notify_activity_task_start(worker_name=worker_name)
                    return _ActionResult({"taskToken": task.task_token, "input": task.task_input})
                continue  # its execution ended: AWS hands it to nobody
            if _time.time() >= until:
                return _ActionResult({})
            _time.sleep(0.2)

    _sfn_responses.StepFunctionResponse.get_activity_task = _get_activity_task

    def _send_task_failure_with_cause(self):
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"),
            error=self._get_param("error"),
            cause=self._get_param("cause"),
        )
        return _sfn_responses.EmptyResult()

    _sfn_responses.StepFunctionResponse.send_task_failure = _send_task_failure_with_cause

    # A worker that stops heartbeating: AWS fails the Task with
    # States.HeartbeatTimeout (event ActivityTimedOut); moto's interpreter
    # reports every activity time-out as States.Timeout.
    from moto.stepfunctions.parser.api import (
        ActivityTimedOutEventDetails as _TimedOutDetails,
        HistoryEventType as _HistoryEventType,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent as _FailureEvent,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName as _StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType as _StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import (
        state_task_activitiy as _activity_task,
    )
    from moto.stepfunctions.parser.asl.eval.callback.callback import (
        HeartbeatTimeoutError as _HeartbeatTimeoutError,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails as _EventDetails

    _activity_from_error = _activity_task.StateTaskActivity._from_error

    def _heartbeat_timeout_as_aws_names_it(self, env, ex):
        if isinstance(ex, _HeartbeatTimeoutError):
            name = _StatesErrorNameType.StatesHeartbeatTimeout
            return _FailureEvent(
                env=env,
                error_name=_StatesErrorName(typ=name),
                event_type=_HistoryEventType.ActivityTimedOut,
                event_details=_EventDetails(
                    activityTimedOutEventDetails=_TimedOutDetails(error=name.to_name())
                ),
            )
        return _activity_from_error(self, env, ex)

    _activity_task.StateTaskActivity._from_error = _heartbeat_timeout_as_aws_names_it
except Exception:  # moto reorganised: leave it as shipped
    pass
