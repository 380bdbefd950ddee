namespace CrisisDesk.Core.Alerts;

// The closed value lists of CAP 1.2 (section 3.2). Member names are the exact CAP code values: the XML writer and
// reader use the names as they are, so do not rename a member.

/// <summary>alert.status: the appropriate handling of the message.</summary>
public enum CapStatus { Actual, Exercise, System, Test, Draft }

/// <summary>alert.msgType: the nature of the message.</summary>
public enum CapMsgType { Alert, Update, Cancel, Ack, Error }

/// <summary>alert.scope: who the message is meant for.</summary>
public enum CapScope { Public, Restricted, Private }

/// <summary>info.category: the category of the subject event.</summary>
public enum CapCategory { Geo, Met, Safety, Security, Rescue, Fire, Health, Env, Transport, Infra, CBRNE, Other }

/// <summary>info.responseType: the type of action recommended for the target audience.</summary>
public enum CapResponseType { Shelter, Evacuate, Prepare, Execute, Avoid, Monitor, Assess, AllClear, None }

/// <summary>info.urgency.</summary>
public enum CapUrgency { Immediate, Expected, Future, Past, Unknown }

/// <summary>info.severity.</summary>
public enum CapSeverity { Extreme, Severe, Moderate, Minor, Unknown }

/// <summary>info.certainty.</summary>
public enum CapCertainty { Observed, Likely, Possible, Unlikely, Unknown }
