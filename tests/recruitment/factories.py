from recruitment.models import CampaignSettings
from tests.collection.factories import CampaignFactory

PID, STUDY, SESSION = "5f0c1d2e3a4b5c6d7e8f9a0b", "60aabbccddeeff0011223344", "61ffeeddccbbaa9988776655"


def panel_campaign(*, ratings_target=None, study_id="", **campaign_kwargs):
    campaign = CampaignFactory(**campaign_kwargs)
    CampaignSettings.objects.create(
        campaign=campaign,
        panel_enabled=True,
        panel_study_id=study_id,
        completion_url="https://app.prolific.com/submissions/complete?cc={code}",
        completion_code="C0DE42",
        ratings_target=ratings_target,
    )
    return campaign


def prolific_query(pid=PID, study=STUDY, session=SESSION) -> dict:
    return {"PROLIFIC_PID": pid, "STUDY_ID": study, "SESSION_ID": session}
