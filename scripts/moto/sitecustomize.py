"""Test shim for the moto server started by scripts/moto-server.sh.

moto records SSM Run Command requests but runs nothing: every
GetCommandInvocation answers Status "Success" with empty output. The
generated state machine reads the AMI id and `terraform output -json` from a
command's standard output, and branches on its Status, so a test needs to
say what the runner instance "printed". This shim does only that.

When the file named by PAASC_MOTO_SSM_OUTCOMES exists, it maps SSM document
names to outcomes:

    {"paas-shop-prod-bake": {"Status": "Success", "StandardOutputContent": "ami-0123"},
     "paas-shop-prod-provision": {"Pending": 1, "Status": "Failed", "ResponseCode": 1}}

`Pending` is how many GetCommandInvocation calls answer "InProgress" before
the final outcome (exercises the Wait/Choice polling loop). Keys other than
`Pending` override fields of moto's invocation record. Documents not in the
file, or no file at all, keep moto's own behaviour. SendCommand, the command
record and every other service stay moto's own.

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
            try:
                with open(_OUTCOMES, encoding="utf-8") as f:
                    outcomes = json.load(f)
            except (OSError, ValueError):
                return invocation
            outcome = outcomes.get(self.document_name)
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
