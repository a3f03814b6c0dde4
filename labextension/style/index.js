import './base.css';
import './reports.css';
